// `element-plus` for plugin bundles: the page's Element Plus (already installed in the app, with
// its locale and the dark theme), components and services such as ElMessage.
export * from 'element-plus'
export { default } from 'element-plus'

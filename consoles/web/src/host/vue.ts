// `vue` for plugin bundles (the page's import map points the bare name here): the page's own
// Vue, so a plugin's components, refs and provide/inject live in the host's app.
export * from 'vue'

// `vue-router` for plugin bundles: the page's copy (useRoute/useRouter see the host's router).
export * from 'vue-router'

// `vue-i18n` for plugin bundles: the page's copy (useI18n sees the host's i18n instance).
export * from 'vue-i18n'

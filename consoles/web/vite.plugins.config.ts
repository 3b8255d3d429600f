import vue from '@vitejs/plugin-vue'
import { basename, resolve } from 'node:path'
import { defineConfig } from 'vite'

// The built-in plugins' console bundles (docs/plugins.md, "The core plugins' own pages"): each
// plugins/<name>/ui/src/index.ts becomes plugins/<name>/static/<name>.js (+ <name>.css), an ES
// module in library mode whose shared imports stay bare, resolved by the pages' import map to
// the page's own Vue, Element Plus, i18n and @gridhub/host, exactly as a third-party plugin's.
// One plugin per build, from the repository root:
//   PLUGIN_UI=plugins/dispatch/ui consoles/web/node_modules/.bin/vite build -c consoles/web/vite.plugins.config.ts
// (scripts/build-plugin-ui builds them all).
const ui = process.env.PLUGIN_UI
if (!ui) throw new Error('PLUGIN_UI names the plugin ui folder to build')
const root = resolve(ui)
const name = basename(resolve(root, '..'))

export default defineConfig({
  root,
  plugins: [vue()],
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  logLevel: 'warn',
  build: {
    outDir: resolve(root, '../static'),
    emptyOutDir: true,
    lib: { entry: resolve(root, 'src/index.ts'), formats: ['es'], fileName: () => `${name}.js`, cssFileName: name },
    rollupOptions: { external: ['vue', 'vue-router', 'vue-i18n', 'element-plus', 'echarts', '@gridhub/host'] },
  },
})

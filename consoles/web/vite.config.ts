import { readFileSync } from 'node:fs'
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vite'

// Three pages, one build: the hub serves dist/ under /ui/ and answers /console, /field and
// /report (and their sub-paths) with the matching HTML page.
const here = dirname(fileURLToPath(import.meta.url))
// While developing one page: GRIDHUB_PAGES=console npx vite build (keeps the others' output).
const ALL_PAGES = ['console', 'field', 'report']
const only = process.env.GRIDHUB_PAGES?.split(',').filter((page) => ALL_PAGES.includes(page))
const pages = only?.length ? only : ALL_PAGES

// Plugin bundles import `vue`, `element-plus`, `@gridhub/host`, ... bare. Each page maps those
// names to these facades (built to fixed names under /ui/host/), which re-export the page's own
// copies: one Vue, one Element Plus. The hub hashes importmap.json's text for the pages'
// Content-Security-Policy (consoles/serve.py), so it goes into the pages byte for byte.
const HOST_MODULES = ['vue', 'vue-router', 'vue-i18n', 'element-plus', 'echarts', 'gridhub']
const IMPORT_MAP = readFileSync(resolve(here, 'importmap.json'), 'utf-8').trim()

function importMap(): Plugin {
  return {
    name: 'gridhub-import-map',
    transformIndexHtml: () => [
      { tag: 'script', attrs: { type: 'importmap' }, children: IMPORT_MAP, injectTo: 'head-prepend' },
    ],
  }
}

export default defineConfig({
  base: '/ui/',
  plugins: [vue(), importMap()],
  resolve: { alias: { '@': resolve(here, 'src') } },
  build: {
    outDir: 'dist',
    emptyOutDir: pages.length === ALL_PAGES.length,
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      input: {
        ...Object.fromEntries(pages.map((page) => [page, resolve(here, `${page}.html`)])),
        ...Object.fromEntries(HOST_MODULES.map((name) => [`host/${name}`, resolve(here, `src/host/${name}.ts`)])),
      },
      // the facades keep every export (an app build may drop an entry's exports by default)
      preserveEntrySignatures: 'strict',
      output: {
        entryFileNames: (chunk) => (chunk.name.startsWith('host/') ? '[name].js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/socket.io': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
})

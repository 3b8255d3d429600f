import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

// Three pages, one build: the hub serves dist/ under /ui/ and answers /console, /field and
// /report (and their sub-paths) with the matching HTML page.
const here = dirname(fileURLToPath(import.meta.url))
// While developing one page: GRIDHUB_PAGES=console npx vite build (keeps the others' output).
const ALL_PAGES = ['console', 'field', 'report']
const only = process.env.GRIDHUB_PAGES?.split(',').filter((page) => ALL_PAGES.includes(page))
const pages = only?.length ? only : ALL_PAGES

export default defineConfig({
  base: '/ui/',
  plugins: [vue()],
  resolve: { alias: { '@': resolve(here, 'src') } },
  build: {
    outDir: 'dist',
    emptyOutDir: pages.length === ALL_PAGES.length,
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      input: Object.fromEntries(pages.map((page) => [page, resolve(here, `${page}.html`)])),
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/socket.io': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
})

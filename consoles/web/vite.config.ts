import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

// Three pages, one build: the hub serves dist/ under /ui/ and answers /console, /field and
// /report (and their sub-paths) with the matching HTML page.
const here = dirname(fileURLToPath(import.meta.url))

export default defineConfig({
  base: '/ui/',
  plugins: [vue()],
  resolve: { alias: { '@': resolve(here, 'src') } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      input: {
        console: resolve(here, 'console.html'),
        field: resolve(here, 'field.html'),
        report: resolve(here, 'report.html'),
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

import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

// Library mode: one ES module, hello.js, in the Python package's static folder (it ships in the
// wheel). 'vue', 'element-plus' and '@gridhub/host' stay bare imports: the hub's pages resolve
// them through their import map to the page's own instances (one Vue, one theme, one session).
export default defineConfig({
  plugins: [vue()],
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: '../gridhub_hello/static',
    emptyOutDir: true,
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'hello.js' },
    rollupOptions: { external: ['vue', 'element-plus', '@gridhub/host'] },
  },
})

/**
 * Builds the editor into editor/dist (served by the API at /), or serves it with hot reload
 * (`npm run dev:editor`) against a running API given by TESSERA_API (default http://127.0.0.1:8080).
 */
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const api = process.env.TESSERA_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [vue()],
  resolve: {
    // ELK in a Web Worker: the auto-arrange plugin imports `elkjs`, which would otherwise bundle the
    // 1.5 MB layout engine into the page and run it on the main thread (see canvas/elk-worker.ts).
    alias: [{ find: /^elkjs$/, replacement: fileURLToPath(new URL('./src/canvas/elk-api.ts', import.meta.url)) }],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true, // test/editor/bundle-imports.test.ts reads which modules went into the bundle
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  worker: { format: 'es' },
  server: {
    port: 5173,
    proxy: {
      '/api': {
        target: api,
        changeOrigin: true,
        // The API refuses state-changing requests whose Origin is another site; the dev server's page is
        // the same app, so the proxied request is sent as a non-browser client would send it.
        configure: (proxy) => proxy.on('proxyReq', (request) => request.removeHeader('origin')),
      },
    },
  },
});

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

/**
 * The console: built into `dist/console` (served by the api at `/`), everything bundled (no CDN).
 * `npm run console:dev` serves it with hot reload and proxies the API to a running api on :3000.
 */
export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  resolve: {
    alias: [{ find: /^@reprise\/domain(.*)$/, replacement: `${resolve(root, 'libs/domain/src')}$1` }],
  },
  build: {
    outDir: resolve(root, 'dist/console'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 800,
    sourcemap: true,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});

import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by the node at /console/ (SPA fallback to index.html); `npm run dev` proxies the API to a local node.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/v2': 'http://127.0.0.1:8080',
    },
  },
});

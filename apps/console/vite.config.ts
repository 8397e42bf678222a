import { defineConfig } from 'vite';

// Relative asset URLs: the console works wherever the API (or a proxy in front of it) serves `/`.
// `vite` (dev) passes API calls on to the API started by `npm start`.
export default defineConfig({
  base: './',
  server: { proxy: { '/v1': process.env.TRAINYARD_API ?? 'http://127.0.0.1:3000' } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
});

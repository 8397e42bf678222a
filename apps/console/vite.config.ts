import { defineConfig } from 'vite';

// Relative asset URLs: the console works wherever the API (or a proxy in front of it) serves `/`.
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
});

import { defineConfig } from 'vitest/config';

// `npm run test:compose`: the stack smoke test alone, kept out of `npm test` (it needs a Docker engine).
export default defineConfig({
  test: {
    include: ['test/compose/*.smoke.ts'],
    testTimeout: 600_000,
    hookTimeout: 1_800_000,
    reporters: ['verbose'],
  },
});

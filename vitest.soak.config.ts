import { defineConfig } from 'vitest/config';

/** `npm run test:soak`: the volume tests, too long for `npm test` (test/soak). */
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.test.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});

import { defineConfig } from 'vitest/config';

/** `npm run test:soak`: the volume tests (test/soak), run by .ci/run after `npm test`: minutes, not seconds. */
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.test.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});

import { describe, expect, it } from 'vitest';
import { nodeOptionsFor } from '../../lib/node-options.js';

describe('nodeOptionsFor', () => {
  it.each([
    [128, '--max-semi-space-size=6'],
    [256, '--max-semi-space-size=12'],
    [10, '--max-semi-space-size=1'],
  ])('sizes the young generation for %i MB', (memory, options) => {
    expect(nodeOptionsFor(memory)).toBe(options);
  });
});

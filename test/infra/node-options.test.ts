import { describe, expect, it } from 'vitest';
import { nodeOptionsFor } from '../../lib/node-options.js';

describe('nodeOptionsFor', () => {
  it.each([
    [128, '--enable-source-maps --max-semi-space-size=6'],
    [256, '--enable-source-maps --max-semi-space-size=12'],
    [10, '--enable-source-maps --max-semi-space-size=1'],
  ])('sizes the young generation for %i MB', (memory, options) => {
    expect(nodeOptionsFor(memory)).toBe(options);
  });
});

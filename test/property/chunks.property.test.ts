import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitChunks } from '../../cli/input/chunks.js';

const record = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null)),
  { maxKeys: 4 },
);

describe('splitChunks', () => {
  it('finds every JSON value, whether one per line, concatenated or pretty-printed, among text lines', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ value: record, style: fc.constantFrom('line', 'glued', 'pretty') }),
            fc.record({ text: fc.stringMatching(/^[a-z][a-z0-9 :.-]{0,30}$/) }),
          ),
          { maxLength: 12 },
        ),
        (items) => {
          let text = '';
          for (const item of items) {
            if ('text' in item) text += `\n${item.text}\n`;
            else if (item.style === 'pretty') text += `${JSON.stringify(item.value, null, 4)}\n`;
            else
              text += item.style === 'glued' ? JSON.stringify(item.value) : `${JSON.stringify(item.value)}\n`;
          }
          const chunks = splitChunks(text);
          expect(chunks.filter((chunk) => chunk.kind === 'json').map((chunk) => chunk.value)).toEqual(
            items.filter((item) => 'value' in item).map((item) => (item as { value: unknown }).value),
          );
          expect(chunks.filter((chunk) => chunk.kind === 'line').map((chunk) => chunk.text)).toEqual(
            items.filter((item) => 'text' in item).map((item) => (item as { text: string }).text),
          );
        },
      ),
    );
  });

  it('counts lines across multi-line values', () => {
    const text = `a\n${JSON.stringify({ x: 1 }, null, 2)}\nb\n{"y":2}{"z":3}\nc`;
    expect(splitChunks(text).map((chunk) => [chunk.kind, chunk.line])).toEqual([
      ['line', 1],
      ['json', 2],
      ['line', 5],
      ['json', 6],
      ['json', 6],
      ['line', 7],
    ]);
  });

  it('stays linear on lines that open a value and never close it (ratio against benign lines)', () => {
    const time = (text: string) => {
      let best = Number.POSITIVE_INFINITY;
      for (let round = 0; round < 3; round += 1) {
        const start = performance.now();
        splitChunks(text);
        best = Math.min(best, performance.now() - start);
      }
      return best;
    };
    const lines = 20_000;
    const hostile = `${'{"unclosed": "value\n'.repeat(lines)}`;
    const benign = `${'plain text of a log\n'.repeat(lines)}`;
    // Quadratic scanning would be thousands of times slower; linear stays within a small factor.
    expect(time(hostile) / time(benign)).toBeLessThan(50);
  });
});

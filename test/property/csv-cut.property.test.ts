/**
 * `csvCut` is where `classify` ends one piece of a CSV export and starts the next: the records read
 * from the text before the cut and after it must be the records `parseCsv` reads from the whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCut, parseCsv } from '../../cli/input/csv.js';

const csvText = fc
  .array(fc.constantFrom('a', 'b', ',', '"', '""', '\n', '\r\n', ' '), { maxLength: 60 })
  .map((parts) => parts.join(''));

const newlines = (text: string): number => text.split('\n').length - 1;

describe('csvCut', () => {
  it('cuts only where a record ends, as parseCsv reads quotes', () => {
    fc.assert(
      fc.property(csvText, (text) => {
        const cut = csvCut(text);
        expect(cut === 0 || text[cut - 1] === '\n').toBe(true);
        const before = text.slice(0, cut);
        const split = [...parseCsv(before), ...parseCsv(text.slice(cut), 1 + newlines(before))];
        expect(split).toEqual(parseCsv(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it('a quote inside an unquoted field is text', () => {
    expect(csvCut('1,stream"1\n2,"a\nb"\n3,x')).toBe(19);
  });
});

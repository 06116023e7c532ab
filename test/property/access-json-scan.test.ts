/**
 * The shape scanner (`access-json-scan.ts`) against the reference reading of a JSON access line
 * (`JSON.parse` and the key walk): on every line, the record `parseJsonLine` returns is the one the
 * reference returns, and on plain lines of any shape the scanner answers without the reference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPayloadSet, PAYLOAD_MIXES } from '../../bench/payloads.js';
import { ACCESS_FIELDS } from '../../lambda/core/access-fields.js';
import { parseJsonLine, parseJsonLineByJsonParse } from '../../lambda/core/access-json.js';
import { MAX_SCAN_DEPTH, MAX_SHAPES, scanJsonLine } from '../../lambda/core/access-json-scan.js';
import { recommendedAccessLogFormat } from '../../lambda/core/access-log-format.js';
import type { AccessRecord } from '../../lambda/core/access-record.js';
import { decodeSubscriptionEvent } from '../../lambda/core/decode.js';
import { A1, A2, A3, A4, A5, accessLine, DEFAULT_REST_JSON } from '../fixtures/evidence.js';
import { webSocketLine, webSocketMessageLine } from '../fixtures/websocket-lines.js';

/** What a record says, in a form `toEqual` compares completely. */
const summary = (record: AccessRecord | undefined) =>
  record && {
    format: record.format,
    values: { ...record.values },
    logged: ACCESS_FIELDS.filter((entry) => record.logged.has(entry.field)).map((entry) => entry.field),
  };

/** The scanner, the combined reader and the reference agree on `line`. */
function expectSameReading(line: string): void {
  const reference = summary(parseJsonLineByJsonParse(line));
  expect(summary(parseJsonLine(line)), line).toEqual(reference);
  const scanned = scanJsonLine(line);
  if (scanned) expect(summary(scanned.build()), line).toEqual(reference);
}

// ---- lines written token by token, so that they can break JSON's rules where a test wants ----

type Json = null | boolean | number | string | Json[] | Members;
/** An object as its members in order, so that a key can repeat. */
interface Members {
  readonly members: readonly (readonly [string, Json])[];
}

const SPELLINGS = ACCESS_FIELDS.flatMap((entry) => [
  entry.variable,
  entry.recommendedKey,
  ...entry.aliases,
  `context.${entry.variable}`,
  `$context.${entry.variable}`,
  entry.recommendedKey.toUpperCase(),
]);
/** Key spellings: the table's (nested where they hold a dot), wrappers, and hostile keys. */
const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SPELLINGS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('request', 'context', 'identity', 'error', 'waf', 'integration', 'clientCert'),
  },
  { weight: 1, arbitrary: fc.constantFrom('', '0', '12', '1status', '__proto__', 'constructor', '-', 'a b') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);
/** Values API Gateway writes, and hostile ones: quotes, escapes, control characters, surrogates. */
const text = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('403', '200', '-', '', ' 403 ', 'Forbidden', 'WAF_BLOCK', '2xx', 'GET'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '"quoted"',
      'back\\slash',
      'tab\there',
      'new\nline',
      'nul\u0000',
      '\ud800',
      'é😀',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);
const number = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(403, -0, 0.5, 1e21, 1e-7, 2 ** 53 + 1, 4.03e2),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const json: fc.Arbitrary<Json> = fc.letrec<{ value: Json; object: Members }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: text },
    { weight: 2, arbitrary: number },
    { weight: 1, arbitrary: fc.constantFrom(true, false, null) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 3, arbitrary: tie('object') },
  ),
  object: fc.array(fc.tuple(key, tie('value')), { maxLength: 8 }).map((members) => ({ members }) as Members),
})).object;

/** How the writer spells the tokens: JSON's own, or a variant JSON allows or forbids. */
interface Style {
  readonly space: () => string;
  readonly string: (value: string) => string;
  readonly number: (value: number) => string;
}

const writeJson = (value: Json, style: Style): string => {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return style.number(value);
  if (typeof value === 'string') return style.string(value);
  const s = style.space;
  if (Array.isArray(value))
    return `[${s()}${value.map((item) => writeJson(item, style)).join(`${s()},${s()}`)}${s()}]`;
  const members = value.members.map(
    ([name, item]) => `${style.string(name)}${s()}:${s()}${writeJson(item, style)}`,
  );
  return `{${s()}${members.join(`${s()},${s()}`)}${s()}}`;
};

/** Escapes every character, as some writers do (`\u0034\u0030\u0033` is `403`). */
const escapeAll = (value: string): string =>
  `"${[...value].map((c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0').slice(-4)}`).join('')}"`;

/** Number spellings, valid (`4.03e2`, `403.0`, `4E2`) and not (`0403`, `+1`, `.5`, `1.`). */
const NUMBER_SPELLINGS: readonly ((n: number) => string)[] = [
  (n) => JSON.stringify(n),
  (n) => n.toExponential(),
  (n) => (Number.isInteger(n) ? `${n}.0` : String(n)),
  (n) => String(n).toUpperCase(),
  (n) => `0${Math.abs(n)}`,
  (n) => `+${Math.abs(n)}`,
  (n) => String(n).replace(/^0\./, '.'),
  (n) => `${Math.trunc(n)}.`,
];

const style: fc.Arbitrary<Style> = fc
  .record({
    // JSON's white space, and characters JavaScript calls space that JSON does not allow.
    spaces: fc.array(
      fc.constantFrom('', '', '', ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u2028', '\ufeff'),
      {
        minLength: 1,
        maxLength: 6,
      },
    ),
    escaping: fc.constantFrom('json', 'json', 'json', 'all'),
    numbers: fc.integer({ min: 0, max: NUMBER_SPELLINGS.length - 1 }),
  })
  .map(({ spaces, escaping, numbers }) => {
    let turn = 0;
    return {
      space: () => spaces[turn++ % spaces.length] as string,
      string: escaping === 'all' ? escapeAll : (value: string) => JSON.stringify(value),
      number: NUMBER_SPELLINGS[numbers] as (n: number) => string,
    };
  });

/** Breaks a line the way transport and hostile callers do: cut, a character in, garbage after. */
const mutation = fc.oneof(
  fc.constant((line: string) => line),
  fc.nat().map((at) => (line: string) => line.slice(0, at % (line.length + 1))),
  fc.tuple(fc.nat(), fc.constantFrom('"', '\\', '{', '}', ',', ':', ' ', '\u0001', 'x', ']')).map(
    ([at, c]) =>
      (line: string) =>
        `${line.slice(0, at % (line.length + 1))}${c}${line.slice(at % (line.length + 1))}`,
  ),
  fc.constantFrom(' ', '  ', '\n', ' x', '}', '{}').map((tail) => (line: string) => `${line}${tail}`),
);

const PLAIN: Style = {
  space: () => '',
  string: (value) => JSON.stringify(value),
  number: (n) => JSON.stringify(n),
};

/** Real lines: the fixtures and the benchmark's three formats. */
const REAL_LINES: readonly string[] = (() => {
  const lines = [
    A1,
    A2,
    A3,
    A4,
    A5,
    DEFAULT_REST_JSON,
    accessLine(),
    accessLine({ status: 200 }),
    webSocketLine(),
    webSocketMessageLine('sendMessage', { status: '403', 'error.message': 'Forbidden' }),
  ];
  for (const mix of PAYLOAD_MIXES) {
    for (const payload of buildPayloadSet(3, mix, 11).payloads) {
      const decoded = decodeSubscriptionEvent(payload.event);
      if (decoded.kind !== 'data') throw new Error('benchmark payload did not decode');
      for (const event of decoded.document.logEvents.slice(0, 40))
        if (event.message.startsWith('{')) lines.push(event.message);
    }
  }
  return lines;
})();

describe('the shape scanner reads JSON access lines as JSON.parse does', () => {
  it('on generated lines of any shape, spelling, spacing and escaping, valid or broken', () => {
    fc.assert(
      fc.property(json, style, mutation, (value, how, mutate) => {
        expectSameReading(mutate(writeJson(value, how)));
      }),
      { numRuns: 1500 },
    );
  });

  it('on real lines with hostile values put in, and broken', () => {
    const real = fc.constantFrom(...REAL_LINES);
    const hostile = fc.oneof(
      text,
      number.map(String),
      fc.constantFrom('{}', '[]', 'null', 'true', '{"a":{"b":1}}'),
    );
    fc.assert(
      fc.property(real, fc.nat(), hostile, fc.boolean(), mutation, (line, which, value, raw, mutate) => {
        // Replace one value (between the n-th `":"` and its closing quote) by a hostile one, as
        // written (raw, possibly not JSON) or as a JSON string.
        const starts = [...line.matchAll(/":"/g)].map((m) => (m.index ?? 0) + 3);
        const start = starts[which % Math.max(starts.length, 1)] ?? 0;
        const end = line.indexOf('"', start);
        const replaced =
          end < 0
            ? line
            : `${line.slice(0, start - 1)}${raw ? value : JSON.stringify(value)}${line.slice(end + 1)}`;
        expectSameReading(mutate(replaced));
      }),
      { numRuns: 1500 },
    );
  });

  it('on repeated keys, at the top and nested', () => {
    const repeated = fc
      .tuple(fc.constantFrom(...SPELLINGS.slice(0, 40)), text, text, fc.boolean())
      .map(([name, first, second, nested]) => {
        const pair = `${JSON.stringify(name)}:${JSON.stringify(first)},${JSON.stringify(name)}:${JSON.stringify(second)}`;
        return nested ? `{"requestId":"r-1","error":{${pair}}}` : `{"status":"403",${pair}}`;
      });
    fc.assert(
      fc.property(repeated, (line) => expectSameReading(line)),
      { numRuns: 300 },
    );
    // An object, then a string, under one key: the string wins, so `error.message` is not logged.
    expectSameReading('{"status":"403","error":{"message":"Forbidden"},"error":"x"}');
    expect(
      parseJsonLine('{"status":"403","error":{"message":"Forbidden"},"error":"x"}')?.logged.has(
        'errorMessage',
      ),
    ).toBe(false);
  });

  it('on two spellings of one field in a line, in either order, nested or not', () => {
    // A field captured twice in one shape weighs its values (the backend's non-2xx integration
    // status wins, else the first set value); a field captured once is stored as read.
    const spellings = ACCESS_FIELDS.map((entry) => [
      entry.field,
      [entry.variable, entry.recommendedKey, ...entry.aliases, `context.${entry.variable}`],
    ]).filter(([, names]) => new Set(names).size > 1) as [string, string[]][];
    const member = (name: string, value: string | number): string => {
      const parts = name.split('.');
      const last = parts.pop() as string;
      return parts.reduceRight(
        (inner, part) => `${JSON.stringify(part)}:{${inner}}`,
        `${JSON.stringify(last)}:${JSON.stringify(value)}`,
      );
    };
    const value = fc.oneof(
      fc.constantFrom('200', '403', '502', '-', '', ' 403 ', 'x'),
      fc.constantFrom(200, 403, 4.03e2),
    );
    const line = fc
      .tuple(fc.constantFrom(...spellings), fc.nat(), fc.nat(), value, value)
      .map(([[, names], a, b, first, second]) => {
        const one = names[a % names.length] as string;
        const other = names[(a + 1 + (b % (names.length - 1))) % names.length] as string;
        return `{"requestId":"r-1",${member(one, first)},"latency":"3",${member(other, second)}}`;
      });
    fc.assert(
      fc.property(line, (text) => expectSameReading(text)),
      { numRuns: 500 },
    );
    expectSameReading('{"integrationStatus":"200","integration":{"status":"502"}}');
    expect(parseJsonLine('{"integrationStatus":"200","integration":{"status":"502"}}')?.values).toMatchObject(
      {
        integrationStatus: '502',
      },
    );
  });

  it('on lines nested past the scanner and past the reference', () => {
    const wrap = (depth: number) => `${'{"x":'.repeat(depth)}{"status":"403"}${'}'.repeat(depth)}`;
    for (const depth of [MAX_SCAN_DEPTH - 2, MAX_SCAN_DEPTH - 1, MAX_SCAN_DEPTH, 31, 32, 40]) {
      expectSameReading(wrap(depth));
      expectSameReading(`{"requestId":"r-1","status":"403","d":${wrap(depth)}}`);
    }
  });

  it('on interleaved lines of more shapes than it remembers', () => {
    const lines = fc.array(fc.tuple(json, fc.constantFrom(...REAL_LINES)), {
      minLength: MAX_SHAPES + 2,
      maxLength: 30,
    });
    fc.assert(
      fc.property(lines, (pairs) => {
        for (const [value, line] of pairs) {
          expectSameReading(writeJson(value, PLAIN));
          expectSameReading(line);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('the shape scanner answers on its own', () => {
  it('for every real line', () => {
    for (const line of REAL_LINES) {
      expect(scanJsonLine(line), line).toBeDefined();
      expectSameReading(line);
    }
  });

  it('for a plain line of any shape without arrays or deep nesting', () => {
    const flat = fc.letrec<{ value: Json; object: Members }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        text,
        number,
        fc.constantFrom(true, false, null),
        tie('object'),
      ),
      object: fc
        .uniqueArray(fc.tuple(fc.constantFrom(...SPELLINGS, 'latency', 'x', 'é'), tie('value')), {
          maxLength: 8,
          selector: ([name]) => name,
        })
        .map((members) => ({ members }) as Members),
    })).object;
    const plainText = (value: Json): boolean =>
      typeof value !== 'object' || value === null
        ? !JSON.stringify(value).slice(1, -1).includes('\\') && !String(value).includes('"')
        : !Array.isArray(value) && value.members.every(([, item]) => plainText(item));
    const depth = (value: Json): number =>
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? 1 + Math.max(0, ...value.members.map(([, item]) => depth(item)))
        : 0;
    fc.assert(
      fc.property(flat, (value) => {
        fc.pre(plainText(value) && depth(value) <= MAX_SCAN_DEPTH);
        const line = writeJson(value, PLAIN);
        expect(scanJsonLine(line), line).toBeDefined();
        expectSameReading(line);
      }),
      { numRuns: 500 },
    );
  });

  // Generated from the field table, so a field added there (a WebSocket one, say) is covered: each
  // spelling of each field, nested where it holds a dot, among keys no rule reads.
  it.each(ACCESS_FIELDS.map((entry) => [entry.field, entry] as const))(
    'reads %s in every spelling',
    (field, entry) => {
      for (const spelling of [entry.variable, entry.recommendedKey, ...entry.aliases]) {
        const parts = spelling.split('.');
        const nested = parts.reduceRight<string>((inner, part) => `{"${part}":${inner}}`, `"v-${field}"`);
        const line = `{"latency":"12","z":{"q":1},${nested.slice(1, -1)},"tail":null}`;
        const record = scanJsonLine(line)?.build();
        expect(record?.values[field], line).toBe(`v-${field}`);
        expect(record?.logged.has(field)).toBe(true);
        expectSameReading(line);
        // The same spelling flat, with its dots in the key.
        const flatLine = `{"latency":"12",${JSON.stringify(spelling)}:"v-${field}"}`;
        expect(scanJsonLine(flatLine)?.build()?.values[field], flatLine).toBe(`v-${field}`);
        expectSameReading(flatLine);
      }
    },
  );

  // Each shape's filler is compiled from source text: only the table's field names and group
  // numbers may reach it, never a key or a value of the line.
  it('runs nothing a line writes, in its keys or its values', () => {
    const probe = globalThis as { scannerProbe?: unknown };
    const code = [
      "');globalThis.scannerProbe=1;('",
      '`;globalThis.scannerProbe=1;`',
      '*/globalThis.scannerProbe=1;/*',
      `${'$'}{globalThis.scannerProbe=1}`,
    ];
    for (const snippet of code) {
      for (const line of [
        `{"requestId":"r-1","status":"403",${JSON.stringify(snippet)}:"x"}`,
        `{"requestId":${JSON.stringify(snippet)},"status":"403","ip":"1.2.3.4"}`,
        `{${JSON.stringify(`status${snippet}`)}:"403","userAgent":${JSON.stringify(snippet)}}`,
      ]) {
        expect(scanJsonLine(line), line).toBeDefined();
        expectSameReading(line);
        expect(probe.scannerProbe, line).toBeUndefined();
      }
    }
  });

  it.each(['rest', 'http', 'websocket'] as const)(
    'reads every field of the %s recommended format',
    (kind) => {
      const line = recommendedAccessLogFormat(kind).replace(/"\$context\.([^"]+)"/g, (_m, variable: string) =>
        JSON.stringify(`v-${variable}`),
      );
      const record = scanJsonLine(line)?.build();
      const reference = parseJsonLineByJsonParse(line);
      expect(summary(record)).toEqual(summary(reference));
      const set = Object.values(reference?.values ?? {}).filter((value) => value !== undefined);
      expect(set.length).toBeGreaterThan(20);
    },
  );
});

describe('the shape scanner stays linear', () => {
  /** Best time of `read` over rounds (noise only ever adds time). */
  const best = (read: () => void): number => {
    let fastest = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round += 1) {
      const start = performance.now();
      read();
      fastest = Math.min(fastest, performance.now() - start);
    }
    return fastest;
  };

  // An attacker pass found `{}` in a learnt shape compiled to `\{ * *\}`: 32 k spaces took 2.6 s.
  it.each([
    [
      'an empty object inside the shape',
      '{"requestId":"r1","status":"403","a":{}}',
      '{"requestId":"r1","status":"403","a":{',
    ],
    ['an empty object as the whole line', '{}', '{'],
  ])(
    'after a line with %s, spaces before a wrong character cost what a value does',
    (_name, teach, prefix) => {
      scanJsonLine(teach);
      const size = 64_000;
      const hostile = `${prefix}${' '.repeat(size)}x}}`;
      const benign = `${prefix}"b":"${'x'.repeat(size)}"}}`;
      const [hostileMs, benignMs] = [best(() => scanJsonLine(hostile)), best(() => scanJsonLine(benign))];
      expect(hostileMs / Math.max(benignMs, 0.05)).toBeLessThan(50);
    },
  );
});

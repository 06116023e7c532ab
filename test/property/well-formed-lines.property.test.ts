/**
 * `textsAreWellFormed` lets the monitor skip `wellFormedFinding` for a finding of an access line that
 * holds no lone surrogate and no JSON `\u` escape. The claim, checked here on lines of every format
 * with hostile values: whenever the flag is set, the finding is already well-formed (what
 * `wellFormedFinding` would return is the finding itself); and the flag is not set on the lines that
 * do carry a lone surrogate into a finding, so the check cannot pass by answering "set" or "unset".
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyIntoGroups, textsAreWellFormed } from '../../lambda/core/classify-batch.js';
import type { Finding, LogsDocument } from '../../lambda/core/model.js';
import { wellFormedFinding } from '../../lambda/core/well-formed.js';
import { accessLine } from '../fixtures/evidence.js';

const LOG_GROUP = '/apigateway/a1b2c3d4e5/prod/access';

/** Each finding with the flag the classifier handed to `keep`. */
function flagged(lines: readonly string[]): { finding: Finding; wellFormed: boolean }[] {
  const seen: { finding: Finding; wellFormed: boolean }[] = [];
  const document: LogsDocument = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: LOG_GROUP,
    logStream: 's',
    subscriptionFilters: ['f'],
    logEvents: lines.map((message, i) => ({
      id: String(i).padStart(56, '0'),
      timestamp: 1_700_000_000_000 + i,
      message,
    })),
  };
  classifyIntoGroups([document], {
    resolveStage: () => ({ apiId: 'a1b2c3d4e5', stage: 'prod' }),
    keep: (finding, wellFormed) => {
      seen.push({ finding, wellFormed });
      return finding;
    },
  });
  return seen;
}

/** Text with what breaks well-formedness, raw and as JSON writes it, beside plain and paired text. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '\ud800',
        '\udfff',
        '\ud83d\ude00',
        '\\ud800',
        '\\udc00',
        '\\ud83d\\ude00',
        '\\u0041',
        '\\\\u',
        'é',
      ),
      fc.string({ unit: 'binary', maxLength: 3 }),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 5 },
  )
  .map((parts) => parts.join(''));

/** A JSON line with hostile values spliced in unescaped (so `\ud800` stays an escape for JSON.parse). */
const jsonLine = fc
  .record({
    userAgent: hostileText,
    path: hostileText,
    sourceIp: hostileText,
    message: fc.constantFrom(
      'Forbidden',
      'Invalid API Key identifier specified',
      'Missing Authentication Token',
    ),
  })
  .map(({ userAgent, path, sourceIp, message }) =>
    accessLine({ error: { message: 'MARK_MESSAGE', responseType: '-' } })
      .replace('"MARK_MESSAGE"', JSON.stringify(message))
      .replace('"curl/8.10.1"', `"${userAgent.replace(/"/g, '')}"`)
      .replace('"/prod/v1/booking-service"', `"${path.replace(/"/g, '')}"`)
      .replace('"99.0.128.123"', `"${sourceIp.replace(/"/g, '')}"`),
  );

/** The console's CLF line, which holds the caller's text raw. */
const clfLine = fc
  .tuple(hostileText, hostileText)
  .map(
    ([ip, path]) =>
      `${ip.replace(/\s/g, '') || '1.2.3.4'} - - [01/Dec/2026:10:00:00 +0000] "GET /${path.replace(/\s/g, '')} HTTP/1.1" 403 42 f6b7c1c0-0000-4000-8000-000000000001`,
  );

const xmlLine = hostileText.map(
  (agent) =>
    `<request id="f6b7c1c0-0000-4000-8000-000000000001"><status>403</status><userAgent>${agent.replace(/[<&]/g, '')}</userAgent><errorMessage>Forbidden</errorMessage></request>`,
);

describe('textsAreWellFormed', () => {
  it('is set only when the finding needs no repair', () => {
    const flags = { set: 0, unset: 0 };
    fc.assert(
      fc.property(fc.array(fc.oneof(jsonLine, clfLine, xmlLine), { minLength: 1, maxLength: 8 }), (lines) => {
        for (const { finding, wellFormed } of flagged(lines)) {
          flags[wellFormed ? 'set' : 'unset'] += 1;
          if (wellFormed) expect(wellFormedFinding(finding)).toBe(finding);
        }
      }),
      { numRuns: 400 },
    );
    // Both answers were given many times: the lines reached the classifier and were found.
    expect(flags.set).toBeGreaterThan(200);
    expect(flags.unset).toBeGreaterThan(200);
  });

  it.each([
    [
      'a lone surrogate written as a JSON escape',
      accessLine({ identity: { userAgent: 'X', sourceIp: '1.2.3.4' } }).replace('"X"', '"a\\ud800b"'),
    ],
    [
      'a raw lone surrogate in a JSON line',
      accessLine({ identity: { userAgent: 'a\ud800b', sourceIp: '1.2.3.4' } }),
    ],
    [
      'a raw lone surrogate in a CLF line',
      '1.2.3.4 - - [01/Dec/2026:10:00:00 +0000] "GET /a\udfff HTTP/1.1" 403 42 r1',
    ],
  ])('is unset for %s, whose finding needs the repair', (_name, line) => {
    const [entry] = flagged([line]);
    expect(entry?.wellFormed).toBe(false);
    expect(entry && wellFormedFinding(entry.finding)).not.toBe(entry?.finding);
  });

  it.each([
    ['an ASCII JSON line', accessLine(), true],
    [
      'a line with a paired surrogate (an emoji)',
      accessLine({ identity: { userAgent: 'ok \ud83d\ude00', sourceIp: '1.2.3.4' } }),
      true,
    ],
    ['a line with any \\u escape', accessLine().replace('curl/8.10.1', 'curl\\u002f8'), false],
  ])('answers from the line alone: %s', (_name, line, expected) => {
    expect(textsAreWellFormed(line)).toBe(expected);
  });
});

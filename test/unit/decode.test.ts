import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  classifyDocuments,
  decodeSubscriptionEvent,
  decodeSubscriptionText,
} from '../../lambda/core/index.js';
import { CONTROL_MESSAGE, envelope, KEY_THROTTLE_DOCUMENT } from '../fixtures/payloads.js';

describe('decodeSubscriptionEvent', () => {
  it('decodes the §1.4 (a) delivery, which holds no 403', () => {
    const result = decodeSubscriptionEvent(envelope(KEY_THROTTLE_DOCUMENT));
    expect(result.kind).toBe('data');
    if (result.kind !== 'data') return;
    expect(result.document.logEvents).toHaveLength(4);
    expect(result.document.logGroup).toBe('API-Gateway-Execution-Logs_uwe3g5jm54/Prod');
    expect(classifyDocuments([result.document]).findings).toEqual([]);
  });

  it('accepts an already-decoded document', () => {
    expect(decodeSubscriptionEvent(KEY_THROTTLE_DOCUMENT).kind).toBe('data');
  });

  it('yields nothing for a CONTROL_MESSAGE', () => {
    expect(decodeSubscriptionEvent(envelope(CONTROL_MESSAGE))).toEqual({ kind: 'control' });
  });

  const half = envelope(KEY_THROTTLE_DOCUMENT).awslogs.data;
  const invalid: ReadonlyArray<readonly [string, unknown, RegExp]> = [
    ['not an object', 'hello', /payload is a string/],
    ['null', null, /payload is null/],
    ['awslogs without data', { awslogs: {} }, /awslogs\.data is missing/],
    ['empty data', { awslogs: { data: '' } }, /empty/],
    ['bad base64', { awslogs: { data: '!!!!' } }, /not valid base64/],
    ['base64 of plain text', { awslogs: { data: Buffer.from('{"a":1}').toString('base64') } }, /not gzip/],
    [
      'truncated gzip',
      { awslogs: { data: Buffer.from(half, 'base64').subarray(0, 40).toString('base64') } },
      /corrupt or truncated/,
    ],
    ['gzip of non-JSON', { awslogs: { data: gzipSync('nope').toString('base64') } }, /not JSON/],
    ['gzip of an array', envelope([1, 2]), /an array, expected an object/],
    [
      'unknown messageType',
      envelope({ ...KEY_THROTTLE_DOCUMENT, messageType: 'OTHER' }),
      /messageType is "OTHER"/,
    ],
    ['logGroup not a string', envelope({ ...KEY_THROTTLE_DOCUMENT, logGroup: 7 }), /logGroup is a number/],
    [
      'logEvents not an array',
      envelope({ ...KEY_THROTTLE_DOCUMENT, logEvents: {} }),
      /logEvents is a object|logEvents is an? /,
    ],
    [
      'subscriptionFilters wrong type',
      envelope({ ...KEY_THROTTLE_DOCUMENT, subscriptionFilters: 'x' }),
      /subscriptionFilters/,
    ],
  ];
  const [first, second, third, fourth] = KEY_THROTTLE_DOCUMENT.logEvents;
  const skipped: ReadonlyArray<readonly [string, unknown, RegExp]> = [
    ['an event without an id', { timestamp: 1, message: 'x' }, /^logEvents\[1\]\.id is missing/],
    [
      'an event whose message is not a string',
      { id: '1', timestamp: 1, message: 5 },
      /\.message is a number/,
    ],
    ['an event whose timestamp is not a number', { id: '1', timestamp: '1', message: 'x' }, /\.timestamp/],
    // Past what a Date holds: rendering the alert window would throw on every retry.
    [
      'an event whose timestamp is past year 275760',
      { id: '1', timestamp: 1e20, message: 'x' },
      /\.timestamp/,
    ],
    // At the very edge of the range: the Logs Insights link's 5-minute margin would pass it.
    [
      'an event whose timestamp is the last a Date holds',
      { id: '1', timestamp: 8.64e15, message: 'x' },
      /\.timestamp/,
    ],
    [
      'an event whose timestamp is before the Date range',
      { id: '1', timestamp: -1e16, message: 'x' },
      /\.timestamp/,
    ],
    ['an event that is not an object', 'x', /^logEvents\[1\] is a string/],
  ];
  it.each(skipped)('%s is counted and left out; the other events are kept', (_name, bad, reason) => {
    const result = decodeSubscriptionEvent(
      envelope({ ...KEY_THROTTLE_DOCUMENT, logEvents: [first, bad, second, bad, third, fourth] }),
    );
    expect(result).toMatchObject({
      kind: 'data',
      skippedEvents: 2,
      skippedReason: expect.stringMatching(reason),
    });
    if (result.kind !== 'data') return;
    expect(result.document.logEvents).toEqual(KEY_THROTTLE_DOCUMENT.logEvents);
  });

  it.each(invalid)('%s is invalid with a one-line reason', (_name, payload, reason) => {
    const result = decodeSubscriptionEvent(payload);
    expect(result.kind).toBe('invalid');
    if (result.kind !== 'invalid') return;
    expect(result.reason).toMatch(reason);
    expect(result.reason).not.toContain('\n');
  });

  it('refuses a decompression bomb past the cap without inflating it', () => {
    const bomb = { awslogs: { data: gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)).toString('base64') } };
    const result = decodeSubscriptionEvent(bomb, { maxDecompressedBytes: 1024 * 1024 });
    expect(result).toEqual({ kind: 'invalid', reason: 'decompressed size exceeds the 1048576-byte cap' });
    expect(decodeSubscriptionEvent(bomb).kind).toBe('invalid');
  });

  it('decodeSubscriptionText reads a file holding an envelope or a document', () => {
    expect(decodeSubscriptionText(JSON.stringify(envelope(KEY_THROTTLE_DOCUMENT))).kind).toBe('data');
    expect(decodeSubscriptionText(JSON.stringify(KEY_THROTTLE_DOCUMENT)).kind).toBe('data');
    expect(decodeSubscriptionText('{"awslogs":').kind).toBe('invalid');
  });
});

import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyDocuments,
  decodeSubscriptionEvent,
  decodeSubscriptionText,
} from '../../lambda/core/index.js';
import { envelope, KEY_THROTTLE_DOCUMENT } from '../fixtures/payloads.js';

const oneLine = (reason: string) => !reason.includes('\n') && reason.length > 0 && reason.length < 300;

describe('the decoder never throws', () => {
  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = decodeSubscriptionEvent(value);
        if (result.kind === 'invalid') expect(oneLine(result.reason)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('on arbitrary strings and bytes as data', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.base64String(),
          fc.uint8Array().map((bytes) => Buffer.from(bytes).toString('base64')),
        ),
        (data) => {
          const result = decodeSubscriptionEvent({ awslogs: { data } });
          expect(['data', 'control', 'invalid']).toContain(result.kind);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('on gzip of arbitrary bytes and of mutated documents', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const result = decodeSubscriptionEvent({ awslogs: { data: gzipSync(bytes).toString('base64') } });
        expect(['data', 'control', 'invalid']).toContain(result.kind);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            'messageType',
            'owner',
            'logGroup',
            'logStream',
            'subscriptionFilters',
            'logEvents',
          ),
          fc.jsonValue(),
        ),
        (patch) => {
          const result = decodeSubscriptionEvent(envelope({ ...KEY_THROTTLE_DOCUMENT, ...patch }));
          if (result.kind === 'data') expect(() => classifyDocuments([result.document])).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on any truncation or bit flip of a real payload', () => {
    const data = envelope(KEY_THROTTLE_DOCUMENT).awslogs.data;
    const bytes = Buffer.from(data, 'base64');
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.nat(255), fc.boolean(), (index, value, truncate) => {
        const mutated = Buffer.from(bytes);
        mutated[index] = value;
        const payload = truncate ? bytes.subarray(0, index) : mutated;
        const result = decodeSubscriptionEvent({ awslogs: { data: payload.toString('base64') } });
        if (result.kind === 'invalid') expect(oneLine(result.reason)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('on arbitrary text files', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(['data', 'control', 'invalid']).toContain(decodeSubscriptionText(text).kind);
      }),
    );
  });

  it('round-trips any well-formed document', () => {
    const event = fc.record({ id: fc.string(), timestamp: fc.integer(), message: fc.string() });
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.array(event, { maxLength: 20 }),
        (logGroup, logStream, logEvents) => {
          const document = {
            messageType: 'DATA_MESSAGE',
            owner: '1',
            logGroup,
            logStream,
            subscriptionFilters: ['f'],
            logEvents,
          };
          const result = decodeSubscriptionEvent(envelope(document));
          expect(result).toEqual({ kind: 'data', document });
          if (result.kind === 'data') expect(() => classifyDocuments([result.document])).not.toThrow();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps exactly the well-formed events of a mixed batch and counts the others', () => {
    const good = fc.record({ id: fc.string(), timestamp: fc.integer(), message: fc.string() });
    const bad = fc.oneof(
      fc.record({ timestamp: fc.integer(), message: fc.string() }),
      fc.record({ id: fc.integer(), timestamp: fc.integer(), message: fc.string() }),
      fc.record({ id: fc.string(), timestamp: fc.constant(Number.NaN), message: fc.string() }),
      fc.record({ id: fc.string(), timestamp: fc.integer(), message: fc.object() }),
      fc.constantFrom(null, 7, 'event', []),
    );
    const entry = fc.oneof(
      good.map((event) => ({ ok: true, event })),
      bad.map((event) => ({ ok: false, event })),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), (entries) => {
        const result = decodeSubscriptionEvent({
          messageType: 'DATA_MESSAGE',
          owner: '1',
          logGroup: 'g',
          logStream: 's',
          subscriptionFilters: [],
          logEvents: entries.map((item) => item.event),
        });
        expect(result.kind).toBe('data');
        if (result.kind !== 'data') return;
        expect(result.document.logEvents).toEqual(
          entries.filter((item) => item.ok).map((item) => item.event),
        );
        const skipped = entries.filter((item) => !item.ok).length;
        expect(result.skippedEvents ?? 0).toBe(skipped);
        if (skipped > 0) expect(oneLine(result.skippedReason ?? '')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

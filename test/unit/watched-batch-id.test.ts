import { describe, expect, it } from 'vitest';
import { buildPayloadSet } from '../../bench/payloads.js';
import { benchConfig, watchedStagesOf } from '../../bench/variants.js';
import { batchIdOf } from '../../lambda/core/alerts.js';
import { decodeSubscriptionEvent } from '../../lambda/core/decode.js';
import type { LogsDocument } from '../../lambda/core/model.js';
import { classifyWatchedDocument } from '../../lambda/monitor.js';

// The monitor hashes a batch's ids while it walks the events (access and execution documents alike):
// the id must be the one `batchIdOf` gives for the document's ids, in order or not.
describe("the monitor's batch id", () => {
  const { payloads, stages } = buildPayloadSet(8, '403-only');

  it.each(payloads.map((payload, index) => [`${payload.kind} #${index}`, payload] as const))(
    'is batchIdOf of the event ids, %s',
    (_name, payload) => {
      const decoded = decodeSubscriptionEvent(payload.event);
      if (decoded.kind !== 'data') throw new Error('payload did not decode');
      const watched = watchedStagesOf(payload, (group) => stages.get(group));
      const config = benchConfig(watched);
      const { logEvents } = decoded.document;
      const reversed: LogsDocument = { ...decoded.document, logEvents: [...logEvents].reverse() };
      for (const document of [decoded.document, reversed]) {
        const ids = document.logEvents.map((event) => event.id);
        expect(ids.length).toBeGreaterThan(256);
        expect(classifyWatchedDocument(document, watched, config).batchId).toBe(batchIdOf(ids));
        expect(classifyWatchedDocument(document, watched, config, '123456789012').batchId).toBe(
          batchIdOf(ids, '123456789012'),
        );
      }
    },
  );
});

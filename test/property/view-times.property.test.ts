/**
 * Every alert and digest the monitor can publish passes its own view schema (alert-schema.ts,
 * digest-schema.ts), whatever times the subscription document, the line or the schedule's event
 * claim: a view the schema refuses is "not a monitor alert" to the Slack forwarder and the Chatbot
 * relay, and is lost to chat. Times a view cannot state (ISO-8601 with a four-digit year) are refused
 * where they enter, and counted: a log event's `timestamp` by the decoder (skippedEvents), a line's
 * `requestTimeEpoch` by the classifier (the event time is kept), a digest event's `scheduledTime` by
 * the digest period (the run counts as invoked by hand).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestPeriod } from '../../lambda/core/digest-event.js';
import {
  EARLIEST_VIEW_TIME_MS,
  LATEST_VIEW_TIME_MS,
  MAX_EVENT_TIME_MS,
  MIN_EVENT_TIME_MS,
} from '../../lambda/core/event-time.js';
import {
  classifyIntoGroups,
  decodeSubscriptionEvent,
  type FindingGroup,
  type LogsDocument,
} from '../../lambda/core/index.js';
import { parseAlertView } from '../../lambda/core/render/alert-schema.js';
import { renderDigestPublish } from '../../lambda/core/render/digest.js';
import { parseDigestView } from '../../lambda/core/render/digest-schema.js';
import { buildDigestViews } from '../../lambda/core/render/digest-view.js';
import { buildAlertView, renderPublish } from '../../lambda/core/render/index.js';
import { ACCESS_GROUP, accessLine } from '../fixtures/evidence.js';

const DATE_LIMIT = 8.64e15;
/** Times at and around every edge: Date's, the views', the accepted range's, the epoch's. */
const EDGES = [
  -DATE_LIMIT,
  EARLIEST_VIEW_TIME_MS - 1, // -000001-12-31
  EARLIEST_VIEW_TIME_MS,
  MIN_EVENT_TIME_MS - 1,
  MIN_EVENT_TIME_MS,
  -1,
  0,
  1,
  MAX_EVENT_TIME_MS,
  MAX_EVENT_TIME_MS + 1,
  LATEST_VIEW_TIME_MS,
  LATEST_VIEW_TIME_MS + 1, // +010000-01-01
  DATE_LIMIT - 24 * 3_600_000,
  DATE_LIMIT, // +275760-09-13, the largest Date
];
const anyTime = fc.oneof(
  fc.constantFrom(...EDGES),
  fc.integer({ min: -DATE_LIMIT, max: DATE_LIMIT }),
  fc.double({ min: -DATE_LIMIT, max: DATE_LIMIT, noNaN: true }),
  fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
);

const GROUP: FindingGroup = {
  ...{ apiId: 'a1b2c3d4e5', stage: 'prod', category: 'WAF_FILTERED', count: 1, firstSeen: 0, lastSeen: 0 },
  ...{ sampleRequestIds: ['eed63f63-e960-4d89-ade7-39a0bf8f6740'], topSourceIps: [], topPaths: [] },
  ...{ topUserAgents: [], topApiKeyIds: [], httpMethods: [], reasons: [], signals: [], evidence: [] },
  ...{ confidence: { high: 1, medium: 0, low: 0 }, sources: ['access'] },
};

/** A subscription document of the access log group with these events (as written, unchecked). */
const documentOf = (
  logEvents: readonly { id: string; timestamp: number; message: string }[],
): LogsDocument => ({
  messageType: 'DATA_MESSAGE',
  owner: '123456789012',
  logGroup: ACCESS_GROUP,
  logStream: 's',
  subscriptionFilters: ['apigw403'],
  logEvents: [...logEvents],
});

/** The forwarder's view of a published alert: the `default` protocol's JSON, parsed by its schema. */
const forwarded = (message: string) => parseAlertView(JSON.parse(message).default as string);

describe('alert views over any event and line time', () => {
  it('each alert of every event the decoder keeps passes the alert view schema; each event it refuses is counted', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            timestamp: anyTime,
            requestTimeEpoch: fc.option(fc.oneof(anyTime, anyTime.map(String)), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        anyTime,
        (events, now) => {
          const document = documentOf(
            events.map((event, index) => ({
              id: String(index),
              timestamp: event.timestamp,
              message: accessLine({
                requestId: `f6b7c1c0-0000-4000-8000-00000000000${index}`,
                ...(event.requestTimeEpoch === undefined ? {} : { requestTimeEpoch: event.requestTimeEpoch }),
              }),
            })),
          );
          const decoded = decodeSubscriptionEvent(document);
          if (decoded.kind !== 'data') throw new Error(`not decoded: ${JSON.stringify(decoded)}`);
          const kept = decoded.document.logEvents.length;
          expect(kept + (decoded.skippedEvents ?? 0)).toBe(events.length);
          for (const event of decoded.document.logEvents)
            expect(event.timestamp >= MIN_EVENT_TIME_MS && event.timestamp <= MAX_EVENT_TIME_MS).toBe(true);
          const { groups } = classifyIntoGroups([decoded.document]);
          expect(groups.reduce((sum, group) => sum + group.count, 0)).toBe(kept);
          // The monitor's clock: the wall clock, or in `npm start` the events' own times.
          const clock = Math.min(Math.max(now, MIN_EVENT_TIME_MS), MAX_EVENT_TIME_MS);
          for (const group of groups) {
            const published = renderPublish(
              buildAlertView(group, {
                region: 'eu-west-3',
                account: '123456789012',
                logGroups: [document.logGroup],
                alert: {
                  batchId: 'b1',
                  alertedAt: clock,
                  lastAlertAt: group.firstSeen,
                  suppressedSinceLast: 1,
                  firstSeen: false,
                },
              }),
            );
            expect(forwarded(published.message), JSON.stringify(published.view)).toBeDefined();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a view built from any times (a group item an older version wrote) still passes: times are held inside years 0..9999', () => {
    fc.assert(
      fc.property(
        anyTime,
        anyTime,
        anyTime,
        fc.option(anyTime, { nil: undefined }),
        (a, b, alertedAt, last) => {
          const published = renderPublish(
            buildAlertView(
              { ...GROUP, firstSeen: Math.min(a, b), lastSeen: Math.max(a, b) },
              {
                region: 'eu-west-3',
                logGroups: [ACCESS_GROUP],
                alert: {
                  batchId: 'b1',
                  alertedAt,
                  ...(last === undefined ? {} : { lastAlertAt: last }),
                  suppressedSinceLast: 0,
                  firstSeen: true,
                },
              },
            ),
          );
          expect(forwarded(published.message), JSON.stringify(published.view)).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a year-10000, a year-275760 and a year -1 event are counted and left out, the in-range event alerts', () => {
    const decoded = decodeSubscriptionEvent(
      documentOf([
        { id: '1', timestamp: LATEST_VIEW_TIME_MS + 1, message: accessLine() },
        { id: '2', timestamp: DATE_LIMIT - 24 * 3_600_000, message: accessLine() },
        { id: '3', timestamp: 1_784_692_374_000, message: accessLine() },
        { id: '4', timestamp: EARLIEST_VIEW_TIME_MS - 1, message: accessLine() },
      ]),
    );
    expect(decoded).toMatchObject({ kind: 'data', skippedEvents: 3 });
    if (decoded.kind === 'data') expect(decoded.document.logEvents.map((event) => event.id)).toEqual(['3']);
  });

  it("a line's requestTimeEpoch past year 9999 is not the group's time (the event's is)", () => {
    const { groups } = classifyIntoGroups([
      documentOf([
        { id: '1', timestamp: 0, message: accessLine({ requestTimeEpoch: LATEST_VIEW_TIME_MS + 1 }) },
      ]),
    ]);
    expect(groups.map((group) => group.firstSeen)).toEqual([0]);
  });
});

describe('digest views over any scheduled time and clock', () => {
  const scheduledTime = fc.oneof(
    anyTime.map((at) => new Date(at).toISOString()),
    fc.constantFrom(
      '+275760-09-13T00:00:00.000Z',
      '+010000-01-01T00:00:00Z',
      '-000001-01-01T00:00:00Z',
      'x',
      '',
    ),
  );

  it('each digest passes the digest view schema', () => {
    fc.assert(
      fc.property(
        fc.option(scheduledTime, { nil: undefined }),
        anyTime,
        fc.constantFrom('cron(0 8 * * ? *)', 'cron(0 8 ? * MON-FRI *)', 'rate(1 day)', 'rate(90 minutes)'),
        (scheduled, now, schedule) => {
          // The wall clock, or the replay's, which runs at most EVENT_TIME_MARGIN_MS past the last event.
          const clock = Math.min(Math.max(now, EARLIEST_VIEW_TIME_MS), LATEST_VIEW_TIME_MS);
          const period = digestPeriod(
            scheduled === undefined
              ? { apigw403: 'digest' }
              : { apigw403: 'digest', scheduledTime: scheduled },
            clock,
            { schedule, timezone: 'Europe/Paris' },
          );
          const views = buildDigestViews(
            [
              {
                apiId: 'a1b2c3d4e5',
                stage: 'prod',
                category: 'WAF_FILTERED',
                lifecycle: 'ongoing',
                action: 'digest',
                count: 3,
                previousCount: 1,
                mutedCount: 0,
                alertsSent: 0,
                topSources: [{ value: '203.0.113.7', count: 3 }],
                firstSeenAt: clock,
                lastSeenAt: clock,
              },
            ],
            { region: 'eu-west-3', period },
          );
          for (const view of views) {
            const message = JSON.parse(renderDigestPublish(view).message) as { default: string };
            expect(parseDigestView(message.default), JSON.stringify(view)).toBeDefined();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

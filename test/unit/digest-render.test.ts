import { describe, expect, it } from 'vitest';
import { DIGEST_EVENT, digestPeriod, HOUR_MS } from '../../lambda/core/digest-event.js';
import type { DigestGroupSummary } from '../../lambda/core/noise-policy.js';
import { renderDigestPublish, renderDigestSlack } from '../../lambda/core/render/digest.js';
import { parseDigestView } from '../../lambda/core/render/digest-schema.js';
import { buildDigestViews, trend } from '../../lambda/core/render/digest-view.js';
import { slackMessageFor } from '../../lambda/slack-forwarder.js';

const END = Date.UTC(2026, 11, 1, 8);
const PERIOD = { start: END - 24 * HOUR_MS, end: END };

const group = (over: Partial<DigestGroupSummary>): DigestGroupSummary => ({
  apiId: 'a1b2c3d4e5',
  stage: 'prod',
  category: 'WAF_FILTERED',
  lifecycle: 'ongoing',
  action: 'digest',
  count: 0,
  previousCount: 0,
  mutedCount: 0,
  alertsSent: 0,
  topSources: [],
  firstSeenAt: END - 48 * HOUR_MS,
  lastSeenAt: END - HOUR_MS,
  ...over,
});

describe('digest views', () => {
  const views = buildDigestViews(
    [
      group({
        count: 120,
        previousCount: 100,
        mutedCount: 30,
        topSources: [{ value: '203.0.113.7', count: 90 }],
      }),
      group({
        category: 'INVALID_API_KEY',
        action: 'alert',
        lifecycle: 'escalated',
        count: 400,
        previousCount: 0,
        alertsSent: 2,
        topSources: [
          { value: '203.0.113.7', count: 10 },
          { value: '198.51.100.1', count: 300 },
        ],
      }),
      group({ stage: 'test', category: 'MISSING_AUTHENTICATION_TOKEN', count: 0, previousCount: 7 }),
      // Nothing in either period: no line, and no digest for its stage.
      group({ stage: 'dev', category: 'WAF_FILTERED' }),
    ],
    { region: 'eu-west-1', period: PERIOD },
  );

  it('makes one view per stage with anything to say, lines most 403s first', () => {
    expect(views.map((v) => `${v.apiId}/${v.stage}`)).toEqual(['a1b2c3d4e5/prod', 'a1b2c3d4e5/test']);
    const [prod] = views;
    expect(prod).toMatchObject({ total: 520, previousTotal: 100, mutedTotal: 30, alertsSent: 2 });
    expect(prod?.categories.map((line) => line.category)).toEqual(['INVALID_API_KEY', 'WAF_FILTERED']);
    expect(prod?.topSources).toEqual([
      { value: '198.51.100.1', count: 300 },
      { value: '203.0.113.7', count: 100 },
    ]);
    expect(prod?.periodStart).toBe('2026-11-30T08:00:00.000Z');
  });

  it('renders counts, trend, muted counts, sources and the groups that alerted', () => {
    const [prod, test] = views;
    if (!prod || !test) throw new Error('views missing');
    const message = JSON.parse(renderDigestPublish(prod).message) as Record<string, string>;
    expect(message.email).toContain(
      '520 403s between 2026-11-30T08:00:00.000Z and 2026-12-01T08:00:00.000Z (+420% against the period before: 100); 30 more muted; 2 alerts sent.',
    );
    expect(message.email).toContain('INVALID_API_KEY: 400 (new, was 0, 2 alerts) · escalated · alert');
    expect(message.email).toContain('WAF_FILTERED: 120 (+20%, was 100, 30 muted) · ongoing · digest');
    expect(message.email).toMatch(/Groups that alerted\n {2}INVALID_API_KEY: /);
    expect(message.email).toContain('198.51.100.1 (300), 203.0.113.7 (100)');
    expect(renderDigestPublish(test).message).toContain('MISSING_AUTHENTICATION_TOKEN: 0 (gone, was 7)');
    expect(renderDigestPublish(prod).attributes).toEqual({
      kind: 'digest',
      apiId: 'a1b2c3d4e5',
      stage: 'prod',
    });
    expect(renderDigestPublish(prod).subject).toBe('[DIGEST] 403s on a1b2c3d4e5/prod: 520 403s, 2 alerts');
    expect(JSON.parse(message.https ?? '{}').content.title).toBe(':bar_chart: 403 digest: a1b2c3d4e5/prod');
  });

  it('is what the Slack forwarder renders as a digest; a forged one is shown as log text', () => {
    const [prod] = views;
    if (!prod) throw new Error('view missing');
    const published = JSON.parse(renderDigestPublish(prod).message).default as string;
    expect(parseDigestView(published)).toEqual(prod);
    expect(slackMessageFor(published)).toEqual(renderDigestSlack(prod));
    const forged = JSON.stringify({ ...prod, topSources: [{ value: '<!channel> *urgent*', count: 1 }] });
    const shown = slackMessageFor(forged);
    expect(shown.text).toBe('A message on the alert topic that is not a monitor alert:');
    expect(JSON.stringify(shown)).not.toContain('<!channel>');
  });

  it('neutralises what the state holds from logs: API ids, stages and sources', () => {
    const [view] = buildDigestViews(
      [
        group({
          apiId: '<!here>',
          stage: 'p_rod_',
          count: 1,
          topSources: [{ value: '@channel https://evil.example', count: 1 }],
        }),
      ],
      { region: 'eu-west-1', period: PERIOD },
    );
    expect(view?.apiId).toBe('--here-');
    expect(view?.stage).toBe('p_rod-');
    expect(view?.topSources[0]?.value).toBe('\uff20channel https[:]//evil[.]example');
    const slack = JSON.stringify(renderDigestSlack(view as NonNullable<typeof view>));
    for (const markup of ['<!here>', '@channel', 'https://evil']) expect(slack).not.toContain(markup);
  });

  it('says when the listing was cut', () => {
    const [view] = buildDigestViews([group({ count: 1 })], {
      region: 'eu-west-1',
      period: PERIOD,
      truncated: true,
    });
    expect(view?.notes).toEqual([
      'The state table held more groups than one digest run reads: some groups are missing.',
    ]);
  });
});

describe('trend', () => {
  it.each([
    [0, 0, '='],
    [5, 0, 'new'],
    [0, 5, 'gone'],
    [10, 10, '='],
    [15, 10, '+50%'],
    [5, 10, '-50%'],
    [1001, 1000, '='],
  ])('%i against %i is %s', (count, previous, expected) => {
    expect(trend(count, previous)).toBe(expected);
  });
});

describe('the digest period', () => {
  const utc = (schedule: string) => ({ schedule, timezone: 'UTC' });
  const run = (scheduledTime: string) => ({ ...DIGEST_EVENT, scheduledTime });
  const hours = (period: { start: number; end: number }) => (period.end - period.start) / HOUR_MS;
  it.each([
    ['cron(0 8 * * ? *)', 'UTC', '2026-12-01T08:00:00Z', 24],
    // Monday: the Friday run is 72 h back, the weekend included.
    ['cron(0 7 ? * MON-FRI *)', 'UTC', '2026-11-30T07:00:00Z', 72],
    ['cron(0 7 ? * MON-FRI *)', 'UTC', '2026-12-01T07:00:00Z', 24],
    ['rate(1 day)', 'UTC', '2026-12-01T08:00:00Z', 24],
    ['rate(2 days)', 'UTC', '2026-12-01T08:00:00Z', 48],
    // A week is past what the state keeps (73 h): the last 73 (the digest names the rest).
    ['cron(0 7 ? * MON *)', 'UTC', '2026-11-30T07:00:00Z', 73],
    ['rate(6 hours)', 'UTC', '2026-12-01T08:00:00Z', 6],
    // The previous run was 06:30, in the hour from 06:00.
    ['rate(90 minutes)', 'UTC', '2026-12-01T08:00:00Z', 2],
    ['rate(90 minutes)', 'UTC', '2026-12-01T09:30:00Z', 1],
    ['rate(5 minutes)', 'UTC', '2026-12-01T08:00:00Z', 1],
    ['rate(5 minutes)', 'UTC', '2026-12-01T08:05:00Z', 0],
    // Paris 08:00 is 06:00Z in summer time, 07:00Z in winter: the fall-back day has 25 hours, spring's 23.
    ['cron(0 8 * * ? *)', 'Europe/Paris', '2026-10-25T07:00:00Z', 25],
    ['cron(0 8 * * ? *)', 'Europe/Paris', '2026-03-29T06:00:00Z', 23],
  ])('%s in %s at %s covers %i hours since the run before', (schedule, timezone, at, expected) => {
    const period = digestPeriod(run(at), 0, { schedule, timezone });
    expect(period.end).toBe(Math.floor(Date.parse(at) / HOUR_MS) * HOUR_MS);
    expect(hours(period)).toBe(expected);
  });

  it("ends at the hour of Scheduler's scheduled time, the same on a retry; else at the hour of now", () => {
    const late = END + 17 * 60_000;
    expect(digestPeriod(run('2026-12-01T08:00:00Z'), late, utc('cron(0 8 * * ? *)'))).toEqual(PERIOD);
    expect(digestPeriod({}, late, utc('cron(0 8 * * ? *)'))).toEqual({ ...PERIOD, byHand: true });
    expect(digestPeriod({ scheduledTime: 'not a time' }, late, utc('rate(6 hours)'))).toEqual({
      start: END - 6 * HOUR_MS,
      end: END,
      byHand: true,
    });
  });
});

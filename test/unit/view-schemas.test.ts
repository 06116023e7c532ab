/**
 * The forwarder renders only messages the monitor published: each check of the alert and digest views
 * (lambda/core/render/alert-schema.ts, digest-schema.ts) refuses a genuine view changed in that one
 * respect, so a check lost when the schemas are built (zod/mini since issue 13) fails here.
 */
import { describe, expect, it } from 'vitest';
import type { FindingGroup } from '../../lambda/core/index.js';
import { parseAlertView } from '../../lambda/core/render/alert-schema.js';
import { renderDigestPublish } from '../../lambda/core/render/digest.js';
import { parseDigestView } from '../../lambda/core/render/digest-schema.js';
import { buildDigestViews } from '../../lambda/core/render/digest-view.js';
import { buildAlertView, LIMITS, renderPublish } from '../../lambda/core/render/index.js';

const NOW = Date.UTC(2026, 11, 1, 8);
const HOUR = 3_600_000;

/** A top of one value, as a group of 42 requests from one source has. */
const only = (value: string) => [{ value, count: 42 }];

const group: FindingGroup = {
  ...{ apiId: 'a1b2c3d4e5', stage: 'prod', category: 'INVALID_API_KEY', count: 42 },
  ...{ firstSeen: NOW - 60_000, lastSeen: NOW, sampleRequestIds: ['eed63f63-e960-4d89-ade7-39a0bf8f6740'] },
  ...{
    topSourceIps: only('76.33.40.125'),
    topPaths: only('/prod/orders'),
    topUserAgents: only('curl/8.10.1'),
  },
  ...{ topApiKeyIds: [], httpMethods: only('GET'), reasons: only('key-not-in-usage-plan') },
  ...{ confidence: { high: 42, medium: 0, low: 0 }, signals: ['reason-key-not-in-usage-plan'] },
  ...{
    evidence: ['usage plan: No Usage Plan found for key and API Stage'],
    sources: ['access', 'execution'],
  },
};

type Json = Record<string, unknown>;

const alertView = (): Json =>
  JSON.parse(
    JSON.stringify(
      renderPublish(
        buildAlertView(group, {
          region: 'eu-west-3',
          logGroups: ['/aws/apigateway/a1b2c3d4e5/prod'],
          alert: {
            batchId: 'b1',
            alertedAt: NOW,
            suppressedSinceLast: 3,
            lastAlertAt: NOW - HOUR,
            firstSeen: false,
          },
        }),
      ).view,
    ),
  ) as Json;

const digestView = (): Json => {
  const [view] = buildDigestViews(
    [
      {
        apiId: 'a1b2c3d4e5',
        stage: 'prod',
        category: 'WAF_FILTERED',
        lifecycle: 'ongoing',
        action: 'digest',
        count: 120,
        previousCount: 100,
        mutedCount: 30,
        alertsSent: 0,
        topSources: [{ value: '203.0.113.7', count: 90 }],
        firstSeenAt: NOW - 48 * HOUR,
        lastSeenAt: NOW - HOUR,
        deploymentId: 'abc123',
      },
    ],
    { region: 'eu-west-3', period: { start: NOW - 24 * HOUR, end: NOW } },
  );
  if (!view) throw new Error('no digest view');
  return JSON.parse(JSON.parse(renderDigestPublish(view).message).default as string) as Json;
};

/** Each change breaks exactly one rule of the view's form. */
type Change = readonly [string, (view: Json) => void];

const set =
  (key: string, value: unknown) =>
  (view: Json): void => {
    view[key] = value;
  };
const inFirst =
  (list: string, key: string, value: unknown) =>
  (view: Json): void => {
    const item = (view[list] as Json[])[0];
    if (!item) throw new Error(`${list} is empty in the genuine view`);
    item[key] = value;
  };
const tooMany = (key: string, count: number) => (view: Json) => {
  const item = (view[key] as unknown[])[0] ?? (key === 'sources' ? 'access' : 'x');
  view[key] = Array.from({ length: count }, () => item);
};

const ALERT_CHANGES: readonly Change[] = [
  ['another schema name', set('schema', 'apigw403.alert/2')],
  ['an id with a space', set('id', 'a b')],
  ['an over-long id', set('id', 'a'.repeat(401))],
  ['a threadId with a slash', set('threadId', 'a/b')],
  ['an unknown category', set('category', 'NOT_A_CATEGORY')],
  ['an unknown severity', set('severity', 'urgent')],
  ['an unescaped title', set('title', '<!channel>')],
  ['an over-long title', set('title', 'x'.repeat(LIMITS.evidence + 1))],
  ['a bare & in the summary', set('summary', 'a & b')],
  ['an apiId with a colon', set('apiId', 'a:b')],
  ['a stage that is a number', set('stage', 7)],
  ['an account with a space', set('account', '1 2')],
  ['a region that is no region', set('region', 'mars')],
  ['a count of 0', set('count', 0)],
  ['a fractional count', set('count', 1.5)],
  ['a count as text', set('count', '42')],
  ['a windowStart that is no ISO time', set('windowStart', 'yesterday')],
  ['a windowEnd as epoch ms', set('windowEnd', NOW)],
  ['firstSeen as text', set('firstSeen', 'false')],
  ['a negative suppressedSinceLast', set('suppressedSinceLast', -1)],
  ['a lastAlertAt that is no ISO time', set('lastAlertAt', '2026-13-01')],
  ['an unknown lifecycle', set('lifecycle', 'forgotten')],
  ['an unescaped lifecycleReason', set('lifecycleReason', '<b>')],
  ['the digest action', set('action', 'digest')],
  ['an unescaped cause', set('causes', ['<@U123>'])],
  ['21 causes', tooMany('causes', 21)],
  ['21 checks', tooMany('checks', 21)],
  ['a documentation link elsewhere', set('docUrl', 'https://docs.aws.amazon.com.evil.example/x')],
  ['a documentation link over http', set('docUrl', 'http://docs.aws.amazon.com/x')],
  ['a reason with a mention', inFirst('reasons', 'value', '@here')],
  ['a reason with an extra key', inFirst('reasons', 'extra', 1)],
  ['a reason count below 0', inFirst('reasons', 'count', -1)],
  ['too many reasons', tooMany('reasons', LIMITS.list + 1)],
  ['a sample id with a link', set('sampleRequestIds', ['see https://evil'])],
  ['a source IP with mrkdwn', inFirst('topSourceIps', 'value', '*1.2.3.4*')],
  ['a path with a host name', inFirst('topPaths', 'value', '/x evil.example')],
  ['a user agent with an emoji code', inFirst('topUserAgents', 'value', ':fire:')],
  ['an over-long user agent', inFirst('topUserAgents', 'value', 'a'.repeat(LIMITS.value + 1))],
  ['an API key id that is a top of another form', set('topApiKeyIds', [{ value: 'k' }])],
  ['a method count as text', inFirst('httpMethods', 'count', '1')],
  ['evidence with a markdown link', set('evidence', ['[x](y)'])],
  ['too much evidence', tooMany('evidence', LIMITS.list + 1)],
  ['an unknown source', set('sources', ['email'])],
  ['four sources', tooMany('sources', 4)],
  ['a confidence key in capitals', set('confidence', { HIGH: 1 })],
  ['a confidence that is text', set('confidence', { high: 'x' })],
  ['a Logs Insights link elsewhere', set('insightsUrl', 'https://evil.example/cloudwatch/home?x')],
  [
    'a Logs Insights link in another region',
    set('insightsUrl', 'https://us-east-1.console.aws.amazon.com/cloudwatch/home?x'),
  ],
  ['an unescaped note', set('notes', ['<x>'])],
  ['11 notes', tooMany('notes', 11)],
  ['an unknown field', set('extra', 'x')],
  ['no title', (view) => delete view.title],
];

const DIGEST_CHANGES: readonly Change[] = [
  ['another schema name', set('schema', 'apigw403.alert/1')],
  ['an id with a space', set('id', 'a b')],
  ['an apiId with a slash', set('apiId', 'a/b')],
  ['a stage with a space', set('stage', 'p rod')],
  ['an account with a space', set('account', '1 2')],
  ['a region that is no region', set('region', 'EU-WEST-3')],
  ['a periodStart that is no ISO time', set('periodStart', 'today')],
  ['a periodEnd as epoch ms', set('periodEnd', NOW)],
  ['a negative total', set('total', -1)],
  ['a fractional previousTotal', set('previousTotal', 0.5)],
  ['a mutedTotal as text', set('mutedTotal', '1')],
  ['alertsSent missing', (view) => delete view.alertsSent],
  ['an unknown category', inFirst('categories', 'category', 'NOPE')],
  ['an unescaped category title', inFirst('categories', 'title', '<!here>')],
  ['an unknown lifecycle', inFirst('categories', 'lifecycle', 'gone')],
  ['an unknown action', inFirst('categories', 'action', 'shout')],
  ['a negative category count', inFirst('categories', 'count', -2)],
  ['a deploymentId with a mention', inFirst('categories', 'deploymentId', '@channel')],
  ['a category with an extra key', inFirst('categories', 'extra', true)],
  ['more categories than exist', tooMany('categories', 100)],
  ['a top source with mrkdwn', inFirst('topSources', 'value', '_x_')],
  ['a top source with an extra key', inFirst('topSources', 'extra', 1)],
  ['too many top sources', tooMany('topSources', LIMITS.list + 1)],
  ['an unescaped note', set('notes', ['a & b'])],
  ['an unknown field', set('extra', 'x')],
];

function refusesEach(
  genuine: () => Json,
  parse: (text: string) => unknown,
  changes: readonly Change[],
): void {
  it('accepts the genuine view', () => {
    expect(parse(JSON.stringify(genuine()))).toBeDefined();
  });
  it.each(changes)('refuses %s', (_name, change) => {
    const view = genuine();
    change(view);
    expect(parse(JSON.stringify(view))).toBeUndefined();
  });
}

describe('the alert view the forwarder renders (alert-schema.ts)', () => {
  refusesEach(alertView, parseAlertView, ALERT_CHANGES);
});

describe('the digest view the forwarder renders (digest-schema.ts)', () => {
  refusesEach(digestView, parseDigestView, DIGEST_CHANGES);
});

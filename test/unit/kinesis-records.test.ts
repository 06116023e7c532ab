import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kinesisEvent } from '../../cli/peers/kinesis.js';
import { logsDocument } from '../../cli/scenario/payload.js';
import { MonitorError } from '../../lambda/adapters/errors.js';
import { decodeSubscriptionEvent } from '../../lambda/core/index.js';
import {
  isListedAccount,
  parseKinesisEvent,
  SOURCE_ACCOUNTS_ENV,
  subscriptionEnvelope,
} from '../../lambda/core/kinesis-records.js';
import {
  buildAlertView,
  renderEmailText,
  renderPublish,
  renderSlackMessage,
} from '../../lambda/core/render/index.js';
import { sourceAccountsFromEnv } from '../../lambda/kinesis-handler.js';

const record = (kinesis: unknown) => ({ eventSource: 'aws:kinesis', kinesis });

describe('parseKinesisEvent', () => {
  it.each([
    [
      'no Records list',
      { awslogs: { data: 'x' } },
      { records: [], malformed: 0, invalid: expect.any(String) },
    ],
    ['null', null, { records: [], malformed: 0, invalid: expect.any(String) }],
    ['an empty batch', { Records: [] }, { records: [], malformed: 0 }],
    [
      'a record without data or sequence number, and a good one',
      {
        Records: [
          record({ sequenceNumber: '1' }),
          record({ data: 'H4sI' }),
          record({ sequenceNumber: '', data: 'H4sI' }),
          'text',
          record({ sequenceNumber: '49', data: 'H4sI' }),
        ],
      },
      { records: [{ sequenceNumber: '49', data: 'H4sI' }], malformed: 4 },
    ],
  ])('%s', (_name, event, expected) => {
    expect(parseKinesisEvent(event)).toEqual(expected);
  });

  it('reads the Lambda Kinesis event: each record decodes to the document CloudWatch Logs wrote', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ timestamp: fc.nat(), message: fc.string({ maxLength: 200 }) }), {
          maxLength: 20,
        }),
        fc.stringMatching(/^\d{12}$/),
        (events, owner) => {
          const document = { ...logsDocument('/aws/apigateway/a1b2c3d4e5/prod', events), owner };
          const event = kinesisEvent(
            [{ SequenceNumber: '4960', PartitionKey: 'k', Data: gzipSync(JSON.stringify(document)) }],
            'shardId-000000000000',
            'arn:aws:kinesis:us-east-1:999999999999:stream/s',
          );
          const [parsed] = parseKinesisEvent(event).records;
          expect(parsed?.sequenceNumber).toBe('4960');
          const decoded = parsed ? decodeSubscriptionEvent(subscriptionEnvelope(parsed)) : undefined;
          expect(decoded).toEqual({ kind: 'data', document });
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('source accounts', () => {
  it('lets every account in when none is listed (organisation-wide destination), else only the listed', () => {
    expect(isListedAccount('111111111111', undefined)).toBe(true);
    expect(isListedAccount('111111111111', ['111111111111'])).toBe(true);
    expect(isListedAccount('333333333333', ['111111111111'])).toBe(false);
  });

  it.each([
    ['unset', undefined, undefined],
    ['blank', '  ', undefined],
    ['a list', '["111111111111","222222222222"]', ['111111111111', '222222222222']],
  ])('reads %s', (_name, value, expected) => {
    expect(sourceAccountsFromEnv({ [SOURCE_ACCOUNTS_ENV]: value })).toEqual(expected);
  });

  it.each([
    ['not JSON', '111111111111'],
    ['an empty list', '[]'],
    ['a short id', '["11111"]'],
    ['a number', '[111111111111]'],
    ['an object', '{"a":"111111111111"}'],
  ])('refuses %s with a one-line, non-retryable configuration error', (_name, value) => {
    const attempt = () => sourceAccountsFromEnv({ [SOURCE_ACCOUNTS_ENV]: value });
    expect(attempt).toThrow(MonitorError);
    expect(attempt).toThrow(/^configuration: SOURCE_ACCOUNTS must be/);
    try {
      attempt();
    } catch (error) {
      expect((error as MonitorError).retryable).toBe(false);
    }
  });
});

describe('an alert names its account', () => {
  const group = {
    apiId: 'a1b2c3d4e5',
    stage: 'prod',
    category: 'WAF_FILTERED' as const,
    count: 3,
    firstSeen: 1_784_692_374_821,
    lastSeen: 1_784_692_375_821,
    sampleRequestIds: ['r1'],
    topSourceIps: [],
    topPaths: [],
    topUserAgents: [],
    topApiKeyIds: [],
    httpMethods: [],
    reasons: [],
    confidence: { high: 3, medium: 0, low: 0 },
    signals: [],
    evidence: [],
    sources: ['access' as const],
  };
  const alert = { batchId: 'b1', alertedAt: 1_784_692_375_821, suppressedSinceLast: 0, firstSeen: true };
  const context = { region: 'eu-west-1', logGroups: ['/aws/apigateway/a1b2c3d4e5/prod'], alert };

  it('in the view, the e-mail, Slack and the SNS attributes', () => {
    const view = buildAlertView(group, { ...context, account: '111111111111' });
    expect(view.account).toBe('111111111111');
    expect(renderEmailText(view)).toContain('API a1b2c3d4e5 · stage prod · account 111111111111 · eu-west-1');
    expect(JSON.stringify(renderSlackMessage(view).blocks)).toContain('account 111111111111');
    expect(renderPublish(view).attributes).toMatchObject({ account: '111111111111', apiId: 'a1b2c3d4e5' });
  });

  it('and says nothing of an account it was not given', () => {
    const view = buildAlertView(group, context);
    expect(view).not.toHaveProperty('account');
    expect(renderEmailText(view)).not.toContain('account');
    expect(renderPublish(view).attributes).not.toHaveProperty('account');
  });

  it('treats the owner as log text: bounded, escaped for Slack', () => {
    const view = buildAlertView(group, { ...context, account: `<!channel>${'9'.repeat(300)}` });
    expect(view.account).not.toContain('<!channel>');
    expect(view.account?.length ?? 0).toBeLessThanOrEqual(120);
  });
});

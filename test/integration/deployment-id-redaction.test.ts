import { describe, expect, it } from 'vitest';
import { receiveAll } from '../../cli/peers/sns-delivery.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { slackMessageFor } from '../../lambda/slack-forwarder.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';
import { oracleFindings } from '../fixtures/secret-oracle.js';

/**
 * A new group's lifecycle reason names the deployment its first line logged ("first seen in
 * deployment …"). The id is log text like any other: a line may put a credential there, and the
 * alert (SNS message, e-mail, Chatbot, Slack) must show it redacted, as the digest does.
 */
const API = 'd3p10y0001';
const CASES = [
  { name: 'an access key id', stage: 'keyid', deploymentId: 'AKIAQWERTYUIOPASDFGH', shown: false },
  {
    name: 'a 32-character token',
    stage: 'token',
    deploymentId: 'Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lm',
    shown: false,
  },
  { name: 'an API Gateway deployment id (control)', stage: 'plain', deploymentId: 'a1b2c3', shown: true },
];
const peers = useMonitorPeers(
  CASES.map(({ stage }) => ({
    apiId: API,
    stage,
    accessLogGroup: `/aws/apigateway/${API}/${stage}`,
    executionLogs: false,
  })),
);

describe('a new group whose first line logs a deploymentId', () => {
  it.each(CASES)('publishes $name in the lifecycle reason only if it is no credential', async (c) => {
    const now = Date.UTC(2026, 11, 1, 9);
    const group = `/aws/apigateway/${API}/${c.stage}`;
    await peers.createHandler({ now: () => now, metrics: () => {} })(
      subscriptionEvent(
        logsDocument(group, [
          {
            timestamp: now - 1_000,
            message: wafAccessLine(API, c.stage, `d3p10000-0000-4000-8000-00000000000${c.stage.length}`, {
              deploymentId: c.deploymentId,
            }),
          },
        ]),
      ),
    );
    const all = await receiveAll(peers.sqs, peers.local.queueUrls.all);
    expect(all).toHaveLength(1);
    const envelope = all[0]?.envelope;
    const published = JSON.stringify(envelope);
    const slack = JSON.stringify(slackMessageFor(JSON.parse(envelope?.Message ?? '{}').default));
    expect(published).toContain('first seen in deployment');
    for (const output of [published, slack]) {
      expect(output.includes(c.deploymentId)).toBe(c.shown);
      expect(await oracleFindings(output)).toEqual([]);
    }
  });
});

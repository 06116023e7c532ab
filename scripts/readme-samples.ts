/**
 * The samples of README "What an alert looks like", rendered by the monitor's own renderers from a
 * fixed batch: the real classifier and grouping over JSON access lines (a stale API key from a hostile
 * user agent), the alert view, the e-mail text and the Slack blocks. `npx tsx scripts/readme-samples.ts`
 * prints them; test/unit/readme-samples.test.ts fails when the README's copy differs.
 */
import { fileURLToPath } from 'node:url';
import { accessLine, logsDocument } from '../cli/scenario/payload.js';
import { describeSlackBlocks } from '../cli/scenario/show.js';
import { classifyIntoGroups } from '../lambda/core/index.js';
import { lifecycleReason, settingsFor } from '../lambda/core/lifecycle.js';
import { parseNoisePolicy } from '../lambda/core/noise-policy.js';
import {
  buildAlertView,
  renderEmailText,
  renderSlackMessage,
  subjectLine,
} from '../lambda/core/render/index.js';

const API = 'a1b2c3d4e5';
const STAGE = 'prod';
const AT = Date.parse('2026-11-30T09:12:00Z');
const DEPLOYMENT = 'x7k2p9';

export function readmeSamples(): { readonly email: string; readonly slack: string } {
  const agents = ['<!channel> <https://evil.example/login|Click to fix> curl/8.10.1', 'partner-sync/2.4'];
  const events = Array.from({ length: 24 }, (_, n) => ({
    timestamp: AT - 40_000 + n * 1_500,
    message: accessLine(
      {
        requestId: `5a3b1e00-0000-4000-8000-${String(n + 1).padStart(12, '0')}`,
        apiId: API,
        stage: STAGE,
        timestamp: AT - 40_000 + n * 1_500,
      },
      {
        deploymentId: DEPLOYMENT,
        error: { message: 'Forbidden', responseType: 'INVALID_API_KEY' },
        identity: {
          sourceIp: `203.0.113.${10 + (n % 4)}`,
          userAgent: agents[n % 2],
          apiKeyId: 'p4rtn3rk3yw8e1',
        },
      },
    ),
  }));
  const logGroup = `/aws/apigateway/${API}/${STAGE}`;
  const { groups } = classifyIntoGroups([logsDocument(logGroup, events)]);
  const [group] = groups;
  if (!group) throw new Error('the sample batch classified into no group');
  const policy = parseNoisePolicy({});
  if (!policy.ok) throw new Error(policy.problems.join('; '));
  const view = buildAlertView(group, {
    region: 'us-east-1',
    logGroups: [logGroup],
    alert: {
      batchId: '5a3b1e',
      alertedAt: AT,
      lifecycle: 'new',
      reason: lifecycleReason('new', settingsFor(policy.policy, group), { deploymentId: DEPLOYMENT }),
      suppressedSinceLast: 0,
      firstSeen: true,
    },
  });
  return {
    email: `Subject: ${subjectLine(view)}\n\n${renderEmailText(view)}`,
    slack: describeSlackBlocks(renderSlackMessage(view)).join('\n'),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { email, slack } = readmeSamples();
  process.stdout.write(`${email}\n\n${slack}\n`);
}

/**
 * The commands an alert's checks print name the stage as API Gateway spells it: a stage `v1_` is
 * shown as `v1-` (an `_` at a word's edge is mrkdwn), but `aws apigateway get-stage --stage-name v1-`
 * reads another stage, or none. A name API Gateway could not have written keeps its display form.
 */
import { describe, expect, it } from 'vitest';
import type { FindingGroup } from '../../lambda/core/index.js';
import { buildAlertView } from '../../lambda/core/render/index.js';

const NOW = Date.UTC(2026, 11, 1, 8);
const API = 'f6g7h8i9j0';

const viewOf = (stage: string, category: FindingGroup['category']) =>
  buildAlertView(
    {
      ...{ apiId: API, stage, category, count: 3, firstSeen: NOW - 60_000, lastSeen: NOW },
      ...{ sampleRequestIds: ['Jx1a2b3cPHcEJzQ='], topSourceIps: [], topPaths: [], topUserAgents: [] },
      ...{ topApiKeyIds: [], httpMethods: [], reasons: [], evidence: [], sources: ['access'] },
      ...{ confidence: { high: 3, medium: 0, low: 0 }, signals: [] },
    },
    {
      region: 'eu-west-1',
      logGroups: [`/aws/apigateway/${API}/${stage}`],
      alert: { batchId: 'b1', alertedAt: NOW, suppressedSinceLast: 0, firstSeen: true },
    },
  );

describe('an alert’s checks name the raw stage', () => {
  it.each([
    ['v1_', 'v1-'],
    ['_beta', '-beta'],
    ['feat-AddUserOAuth2Login', 'feat-AddUserOAuth2Login'],
  ])('stage %j, shown as %j, is named as spelled in the commands', (stage, shown) => {
    const view = viewOf(stage, 'ROUTE_NOT_FOUND');
    expect(view.stage).toBe(shown);
    const commands = view.checks.filter((check) => check.includes('--stage-name'));
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) expect(command).toContain(`--stage-name ${stage}`);
  });

  it('a stage API Gateway could not name keeps its display form in the commands', () => {
    const view = viewOf('evil.com', 'ROUTE_NOT_FOUND');
    const commands = view.checks.filter((check) => check.includes('--stage-name'));
    for (const command of commands) expect(command).toContain('--stage-name evil-com');
  });
});

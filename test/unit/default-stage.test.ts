/**
 * An HTTP API's `$default` stage keeps its name from the group to the alert and digest views, their
 * SNS `stage` attribute (which routes' filter policies match exactly) and the commands the checks
 * print; every other name outside `[A-Za-z0-9_-]` is still rewritten (attack finding 01). A stage
 * with an `_` at a word's edge (`v1_`) is shown as `v1-` (mrkdwn), but its attribute, the view's
 * `names` and the relay's republished attributes carry `v1_`, as API Gateway and the routes spell it.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, describeCategory, type FindingGroup } from '../../lambda/core/index.js';
import { parseAlertView } from '../../lambda/core/render/alert-schema.js';
import { identifier } from '../../lambda/core/render/alert-view.js';
import { renderDigestPublish } from '../../lambda/core/render/digest.js';
import { parseDigestView } from '../../lambda/core/render/digest-schema.js';
import { buildDigestViews } from '../../lambda/core/render/digest-view.js';
import { buildAlertView, renderPublish } from '../../lambda/core/render/index.js';
import { relayedPublish } from '../../lambda/core/render/relay.js';
import { WEBSOCKET_SIGNAL } from '../../lambda/core/rules.js';

const NOW = Date.UTC(2026, 11, 1, 8);
const API = 'f6g7h8i9j0';

describe('identifier()', () => {
  it.each([
    ['$default', '$default'],
    ['prod', 'prod'],
    ['v2_beta', 'v2_beta'],
    ['$DEFAULT', '-DEFAULT'],
    ['$defaultx', '-defaultx'],
    ['x$default', 'x-default'],
    ['$default ', '-default-'],
    ['$$default', '--default'],
    ['$connect', '-connect'],
    ['evil.com', 'evil-com'],
  ])('%j becomes %j', (name, expected) => {
    expect(identifier(name)).toBe(expected);
  });
});

const group = (stage: string): FindingGroup => ({
  ...{ apiId: API, stage, category: 'IAM_EXPLICIT_DENY', count: 3 },
  ...{ firstSeen: NOW - 60_000, lastSeen: NOW, sampleRequestIds: ['Jx1a2b3cPHcEJzQ='] },
  ...{ topSourceIps: [], topPaths: [], topUserAgents: [], topApiKeyIds: [], httpMethods: [], reasons: [] },
  ...{ confidence: { high: 3, medium: 0, low: 0 }, signals: [], evidence: [], sources: ['access'] },
});

const alertOf = (stage: string) =>
  renderPublish(
    buildAlertView(group(stage), {
      region: 'eu-west-1',
      logGroups: [`/aws/apigateway/${API}/default`],
      alert: { batchId: 'b1', alertedAt: NOW, suppressedSinceLast: 0, firstSeen: true },
    }),
  );

const digestOf = (stage: string) => {
  const [view] = buildDigestViews(
    [
      {
        ...{ apiId: API, stage, category: 'IAM_EXPLICIT_DENY', lifecycle: 'ongoing', action: 'digest' },
        ...{ count: 5, previousCount: 1, mutedCount: 0, alertsSent: 0, topSources: [] },
        ...{ firstSeenAt: NOW - 3_600_000, lastSeenAt: NOW },
      },
    ],
    { region: 'eu-west-1', period: { start: NOW - 86_400_000, end: NOW } },
  );
  if (!view) throw new Error('no digest view');
  return renderDigestPublish(view);
};

const TOKEN_STAGE = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';

describe.each([
  ['$default', '$default', '$default'],
  ['prod', 'prod', 'prod'],
  ['v1_', 'v1-', 'v1_'],
  ['_beta', '-beta', '_beta'],
  ['a__b', 'a--b', 'a__b'],
  // Not a name API Gateway writes, or one redaction hides: the display form, which no route names.
  ['$default2', '-default2', '-default2'],
  [TOKEN_STAGE, identifier(TOKEN_STAGE), identifier(TOKEN_STAGE)],
])('a group of stage %j', (stage, shown, routed) => {
  it(`alerts as stage ${shown}, attribute ${routed}, in a view the forwarder and the relay accept`, () => {
    const published = alertOf(stage);
    expect(published.attributes.stage).toBe(routed);
    expect(published.attributes.apiId).toBe(API);
    expect(published.view.stage).toBe(shown);
    expect(published.view.names).toEqual({ apiId: API, stage: routed });
    const parsed = parseAlertView(JSON.stringify(published.view));
    expect(parsed?.stage).toBe(shown);
    expect(relayedPublish(JSON.stringify(published.view))?.attributes).toEqual(published.attributes);
  });

  it(`is digested as stage ${shown}, attribute ${routed}, in a view the forwarder and the relay accept`, () => {
    const published = digestOf(stage);
    expect(published.attributes.stage).toBe(routed);
    const view = JSON.parse(JSON.parse(published.message).default as string);
    expect(view.stage).toBe(shown);
    expect(view.names).toEqual({ apiId: API, stage: routed });
    expect(parseDigestView(JSON.stringify(view))?.stage).toBe(shown);
    expect(relayedPublish(JSON.stringify(view))?.attributes).toEqual(published.attributes);
  });
});

/** A printed command's shell part and its trailing `  (remark)`, which is prose. */
const partsOf = (command: string): [string, string] => {
  const at = command.indexOf('  (');
  return at < 0 ? [command, ''] : [command.slice(0, at), command.slice(at)];
};

/** The arguments bash makes of a command's shell part, once the reader filled in its `<placeholders>`. */
function shellWords(command: string): string[] {
  const filled = partsOf(command)[0].replace(/<[a-z-]+>/g, 'filled-in');
  const out = execFileSync('bash', ['-c', `printf '%s\\0' ${filled}`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  return out.split('\0').slice(0, -1);
}

describe('checks printed for the $default stage', () => {
  const descriptions = CATEGORIES.flatMap((category) =>
    [[], [WEBSOCKET_SIGNAL]].map((signals) =>
      describeCategory(category, { apiId: API, stage: '$default', region: 'eu-west-1', signals }),
    ),
  );
  const commands = [
    ...new Set(
      descriptions
        .flatMap((description) => description.checks)
        .filter((check) => /^(?:aws|npx) /.test(check)),
    ),
  ];
  const naming = commands.filter((command) => partsOf(command)[0].includes('default'));

  it('name the stage in many commands, in bare words, double and single quotes', () => {
    expect(naming.length).toBeGreaterThan(5);
    expect(naming.some((command) => command.includes("'arn:"))).toBe(true);
    expect(naming.some((command) => command.includes('--query "'))).toBe(true);
  });

  it.each(naming)('%s passes $default to the command as spelled', (command) => {
    const named = shellWords(command).filter((word) => word.includes('default'));
    expect(named.length).toBeGreaterThan(0);
    for (const word of named) expect(word).toMatch(/(?:^|[^\\])\$default(?![A-Za-z0-9])/);
  });

  it('leave prose as written: summaries, causes, prose checks and remarks', () => {
    const prose = descriptions.flatMap((description) => [
      description.summary,
      ...description.causes,
      ...description.checks.map((check) => (/^(?:aws|npx) /.test(check) ? partsOf(check)[1] : check)),
    ]);
    const named = prose.filter((text) => text.includes('default'));
    expect(named.length).toBeGreaterThan(2);
    for (const text of named) expect(text).not.toContain('\\$');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PendingAlert } from '../../lambda/core/alerts.js';
import { CATEGORIES, type FindingGroup } from '../../lambda/core/index.js';
import { parseAlertView } from '../../lambda/core/render/alert-schema.js';
import { renderDigestPublish, renderDigestSlack } from '../../lambda/core/render/digest.js';
import { buildDigestViews } from '../../lambda/core/render/digest-view.js';
import {
  buildAlertView,
  type ChatbotNotification,
  LIMITS,
  renderPublish,
  renderSlackMessage,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
} from '../../lambda/core/render/index.js';
import { chars } from '../fixtures/random-text.js';
import { oracleFindings } from '../fixtures/secret-oracle.js';

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE64 = `${ALNUM}+/`;
const HEX = '0123456789abcdef';

/** Credentials of the shapes the oracle knows (each generated fresh, none an allow-listed example). */
const oracleSecret: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('AKIA', 'ASIA', 'AROA', 'AIDA'), chars(UPPER_DIGITS, 16)).map(([p, r]) => p + r),
  // The oracle's pattern ends at a word boundary: the last character is alphanumeric.
  chars(BASE64, 39).map((secret) => `aws_secret_access_key=${secret}K`),
  chars(ALNUM, 36).map((rest) => `ghp_${rest}`),
  chars(`${ALNUM}_`, 82).map((rest) => `github_pat_${rest}`),
  chars(ALNUM, 24).map((rest) => `glpat-${rest}`),
  fc
    .tuple(chars('0123456789', 11), chars('0123456789', 12), chars(ALNUM, 24))
    .map(([a, b, c]) => `xoxb-${a}-${b}-${c}`),
  fc
    .tuple(chars(UPPER_DIGITS, 10), chars(UPPER_DIGITS, 10), chars(ALNUM, 24))
    .map(([t, b, c]) => `https://hooks.slack.com/services/T${t}/B${b}/${c}`),
  chars(ALNUM, 36).map((rest) => `npm_${rest}`),
  fc.tuple(chars(ALNUM, 22), chars(ALNUM, 43)).map(([a, b]) => `SG.${a}.${b}`),
  fc
    .tuple(chars('abcdefgh', 6), chars(ALNUM, 12))
    .map(([user, pass]) => `https://${user}:${pass}@api.example.com/v1`),
  fc
    .tuple(chars('abcdefgh', 5), chars(ALNUM, 12))
    .map(([user, pass]) => `postgres://${user}:${pass}@db.internal:5432/app`),
  fc.tuple(chars(ALNUM, 20), chars(ALNUM, 20)).map(([a, b]) => `sk-${a}T3BlbkFJ${b}`),
  chars(`${ALNUM}_-`, 95).map((body) => `sk-ant-api03-${body}AA`),
  chars(HEX, 32).map((rest) => `shpat_${rest}`),
  chars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 34).map((rest) => `hf_${rest}`),
  chars(ALNUM, 40).map((rest) => `lin_api_${rest}`),
  fc.tuple(chars(ALNUM, 32), chars(HEX, 8)).map(([a, b]) => `glsa_${a}_${b}`),
  chars(ALNUM, 52).map((rest) => `gsk_${rest}`),
);

/** Credentials the oracle does not report (it checks that a key block parses): checked by substring. */
const otherSecret: fc.Arbitrary<string> = fc.oneof(
  chars(BASE64, 120).map((body) => `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`),

  fc
    .tuple(chars(ALNUM, 30), chars(`${ALNUM}-_`, 40), chars(`${ALNUM}-_`, 43))
    .map(([a, b, c]) => `eyJ${a}.eyJ${b}.${c}`),
  chars(`${BASE64}`, 40).map((secret) => `Zq${secret.slice(2)}`),
  chars(ALNUM, 30).map((token) => `Q${token}7`),
);

/** How a log carries a credential: bare, after a scheme, as a key's value in every syntax. */
const carried = (secret: string): fc.Arbitrary<string> =>
  fc.constantFrom(
    // Glued to a word: vendor prefixes and key ids are found inside words; a bare base64 secret with
    // `/` is judged piece by piece (see redact.ts), so it is planted with a separator.
    /^[A-Za-z0-9+/]{40}$/.test(secret) ? `user ${secret}` : `user_${secret}`,
    secret,
    `Authorization: Bearer ${secret}`,
    `Authorization=Bearer\u0000${secret}`,
    `{"authorization":"${secret}"}`,
    `{\\"token\\":\\"${secret}\\"}`,
    `/cb?state=1&access_token=${secret}&x=2`,
    `/cb?access_token%3D${secret}`,
    `Cookie: theme=dark; session=${secret}`,
    `x-api-key: ${secret}`,
  );

/** Slack and markdown control text a caller may put in a user agent or a path. */
const MARKUP = [
  '<!channel>',
  '<!here>',
  '@here',
  '@channel',
  '<https://evil.example|click>',
  'https://evil.example/sso',
  '<@U123>',
  '*bold*',
  '_italic_',
  '~strike~',
  '`code` ``` block',
  '[click](https://evil.example)',
  '&'.repeat(2900),
  // Chatbot renders markdown and links bare domains; it cannot be told `verbatim`.
  'evil.example/login',
  'www.evil.com',
  '//evil.com',
  'https:/evil.com',
  '[x](evil.example/x)',
  ':warning:',
  'x:rotating_light:y',
  '#general',
];
/** What must not stand in a chat rendering: each would be a link, a channel, an emoji there. */
const LIVE_IN_CHAT = [
  'evil.example',
  'www.evil',
  'evil.com',
  '](',
  ':warning:',
  ':rotating_light:',
  '#general',
];
const noise = fc.string({ maxLength: 24 }).map((text) => text.replace(/[A-Za-z0-9]/g, ' '));
const logText = (secret: fc.Arbitrary<string>) =>
  fc
    .tuple(noise, secret.chain(carried), fc.constantFrom('', ...MARKUP), noise)
    .map(([before, carriedSecret, markup, after]) => `${before} ${carriedSecret} ${markup} ${after}`);

function groupOf(text: fc.Arbitrary<string>): fc.Arbitrary<FindingGroup> {
  const tops = fc.array(fc.record({ value: text, count: fc.nat(1000) }), { maxLength: 6 });
  return fc.record({
    apiId: fc.oneof(fc.constant('a1b2c3d4e5'), text),
    stage: fc.oneof(fc.constant('prod'), text),
    category: fc.constantFrom(...CATEGORIES),
    count: fc.integer({ min: 1, max: 10_000 }),
    firstSeen: fc.constant(1_784_692_374_821),
    lastSeen: fc.constant(1_784_692_434_821),
    sampleRequestIds: fc.array(text, { maxLength: 5 }),
    topSourceIps: tops,
    topPaths: tops,
    topUserAgents: tops,
    topApiKeyIds: tops,
    httpMethods: tops,
    reasons: tops,
    confidence: fc.constant({ high: 1, medium: 0, low: 0 }),
    signals: fc.constant([]),
    evidence: fc.array(text, { maxLength: 6 }),
    sources: fc.constant(['access' as const]),
  });
}

const alert: PendingAlert = { batchId: 'b', alertedAt: 0, suppressedSinceLast: 0, firstSeen: true };

/** The digest of the group's stage, from what the state keeps of it (its log-derived ids, sources, deployment). */
function digestRenderings(group: FindingGroup): string[] {
  const [view] = buildDigestViews(
    [
      {
        apiId: group.apiId,
        stage: group.stage,
        category: group.category,
        lifecycle: 'ongoing',
        action: 'alert',
        count: group.count,
        previousCount: 0,
        mutedCount: 1,
        alertsSent: 1,
        topSources: group.topSourceIps,
        firstSeenAt: group.firstSeen,
        lastSeenAt: group.lastSeen,
        ...(group.evidence[0] ? { deploymentId: group.evidence[0] } : {}),
      },
    ],
    { region: 'us-east-1', period: { start: group.firstSeen, end: group.lastSeen } },
  );
  if (!view) throw new Error('a group with 403s has a digest');
  const rendered = renderDigestPublish(view);
  const message = JSON.parse(rendered.message) as Record<string, string>;
  const slack = renderDigestSlack(view);
  return [
    rendered.subject,
    ...Object.values(message),
    JSON.stringify(slack),
    ...slack.blocks.flatMap((block) => ('text' in block ? [block.text.text] : [])),
  ];
}

/** Every rendering people or machines receive: subject, e-mail, Chatbot JSON, view JSON, Slack blocks, digests. */
function renderings(group: FindingGroup): { outputs: string[]; slack: SlackMessage; view: string } {
  const view = buildAlertView(group, { region: 'us-east-1', logGroups: ['/g'], alert });
  const rendered = renderPublish(view);
  const message = JSON.parse(rendered.message) as Record<string, string>;
  const slack = renderSlackMessage(rendered.view);
  return {
    outputs: [
      rendered.subject,
      message.email ?? '',
      message.https ?? '',
      message.default ?? '',
      JSON.stringify(slack),
      // Slack shows the block texts themselves: check them unescaped by JSON too.
      ...slack.blocks.flatMap((block) => ('text' in block ? [block.text.text] : [])),
      ...digestRenderings(group),
    ],
    slack,
    view: message.default ?? '',
  };
}

type SlackText = Extract<SlackBlock, { readonly type: 'section' }>['text'];

/** The mrkdwn texts of a block that carry log text: a section's text and a context's elements. */
function mrkdwnTexts(block: SlackBlock): readonly SlackText[] {
  if (block.type === 'section') return [block.text];
  return block.type === 'context' ? block.elements : [];
}

/** Within Slack's section limit, shown verbatim, and no markup of the log text left to format. */
function expectInertMrkdwn(text: SlackText): void {
  expect(text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
  expect(text.verbatim).toBe(true);
  for (const markup of ['*bold*', '_italic_', '~strike~', '`code`', '```', '](https://', '@here'])
    expect(text.text).not.toContain(markup);
}

describe('the oracle', () => {
  it('finds each planted credential shape before redaction (so a clean rendering means something)', async () => {
    const samples = fc.sample(oracleSecret, { numRuns: 200, seed: 8 });
    const missed: string[] = [];
    for (const secret of samples)
      if ((await oracleFindings(`leaked ${secret} here`)).length === 0) missed.push(secret);
    expect(missed.map((secret) => secret.slice(0, 14))).toEqual([]);
  });
});

describe('rendered alerts', () => {
  it('carry nothing the secretlint recommended preset flags, whatever the logs held', async () => {
    await fc.assert(
      fc.asyncProperty(groupOf(logText(oracleSecret)), async (group) => {
        for (const output of renderings(group).outputs) expect(await oracleFindings(output)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('never carry a planted credential, a Slack control sequence or a live link', () => {
    const planted = fc.oneof(oracleSecret, otherSecret);
    fc.assert(
      fc.property(
        planted.chain((secret) => groupOf(logText(fc.constant(secret))).map((group) => ({ secret, group }))),
        ({ secret, group }) => {
          const { outputs } = renderings(group);
          const core = secret.replace(/^.*?[=:]\/?\/?/, '').slice(-24);
          for (const output of outputs) {
            expect(output).not.toContain(secret);
            expect(output).not.toContain(core);
            for (const markup of [
              '<!channel>',
              '<!here>',
              '<https://evil',
              '<@U123>',
              'https://evil',
              '@here',
            ])
              expect(output).not.toContain(markup);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('render mrkdwn from log text inert and stay inside Slack limits', () => {
    fc.assert(
      fc.property(groupOf(logText(otherSecret)), (group) => {
        const { slack } = renderings(group);
        expect(slack.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
        expect(slack.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
        for (const block of slack.blocks) {
          if (block.type === 'header')
            expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
          for (const text of mrkdwnTexts(block)) expectInertMrkdwn(text);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('leave no link, channel or emoji of log text in the Chatbot notification or the Slack blocks', () => {
    fc.assert(
      fc.property(groupOf(logText(otherSecret)), (group) => {
        const view = buildAlertView(group, { region: 'us-east-1', logGroups: ['/g'], alert });
        const rendered = renderPublish(view);
        const chatbot = JSON.parse(
          (JSON.parse(rendered.message) as Record<string, string>).https ?? '{}',
        ) as ChatbotNotification;
        const slack = renderSlackMessage(rendered.view);
        const texts = [
          chatbot.content.title,
          chatbot.content.description,
          chatbot.metadata.summary,
          ...chatbot.metadata.relatedResources,
          ...slack.blocks.flatMap((block) => ('text' in block ? [block.text.text] : [])),
        ];
        for (const text of texts) for (const live of LIVE_IN_CHAT) expect(text).not.toContain(live);
      }),
      { numRuns: 200 },
    );
  });

  it('are views the Slack forwarder accepts as the monitor’s own', () => {
    fc.assert(
      fc.property(groupOf(logText(otherSecret)), (group) => {
        const { view } = renderings(group);
        expect(parseAlertView(view)).toBeDefined();
      }),
      { numRuns: 200 },
    );
  });

  it('bound log fields by what is sent, after escaping (2,900 `&` fit)', () => {
    const view = buildAlertView(
      {
        ...fc.sample(groupOf(fc.constant('x')), { numRuns: 1, seed: 1 })[0],
        evidence: ['&'.repeat(2900)],
        topUserAgents: [{ value: '&'.repeat(2900), count: 1 }],
      } as FindingGroup,
      { region: 'us-east-1', logGroups: ['/g'], alert },
    );
    expect(view.evidence[0]?.length).toBeLessThanOrEqual(LIMITS.evidence);
    expect(view.topUserAgents[0]?.value.length).toBeLessThanOrEqual(LIMITS.value);
    expect(view.evidence[0]).toMatch(/^(&amp;)+…\[truncated\]$/);
  });
});

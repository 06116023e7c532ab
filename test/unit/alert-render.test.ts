import { describe, expect, it } from 'vitest';
import type { PendingAlert } from '../../lambda/core/alerts.js';
import { CATEGORIES, type FindingGroup } from '../../lambda/core/index.js';
import { parseAlertView } from '../../lambda/core/render/alert-schema.js';
import type { AlertView } from '../../lambda/core/render/index.js';
import {
  buildAlertView,
  escapeSlack,
  fromLog,
  LIMITS,
  logsInsightsUrl,
  neutraliseLogText,
  renderPublish,
  renderSlackMessage,
  SLACK_LIMITS,
  subjectLine,
  toPlainText,
} from '../../lambda/core/render/index.js';
import { slackMessageFor } from '../../lambda/slack-forwarder.js';

const MINUTE = 60_000;
const NOW = 1_784_692_374_821;

function group(overrides: Partial<FindingGroup> = {}): FindingGroup {
  return {
    apiId: 'a1b2c3d4e5',
    stage: 'prod',
    category: 'INVALID_API_KEY',
    count: 42,
    firstSeen: NOW - MINUTE,
    lastSeen: NOW,
    sampleRequestIds: ['eed63f63-e960-4d89-ade7-39a0bf8f6740'],
    topSourceIps: [{ value: '76.33.40.125', count: 42 }],
    topPaths: [{ value: '/prod/orders', count: 42 }],
    topUserAgents: [{ value: 'curl/8.10.1', count: 42 }],
    topApiKeyIds: [],
    httpMethods: [{ value: 'GET', count: 42 }],
    reasons: [{ value: 'key-not-in-usage-plan', count: 42 }],
    confidence: { high: 42, medium: 0, low: 0 },
    signals: ['reason-key-not-in-usage-plan'],
    evidence: ['usage plan: No Usage Plan found for key and API Stage'],
    sources: ['access', 'execution'],
    ...overrides,
  };
}

const alert: PendingAlert = {
  batchId: 'b1',
  alertedAt: NOW,
  suppressedSinceLast: 340,
  lastAlertAt: NOW - 20 * MINUTE,
  firstSeen: false,
};
const view = (overrides: Partial<FindingGroup> = {}) =>
  buildAlertView(group(overrides), {
    region: 'eu-west-3',
    logGroups: ['/aws/apigateway/a1b2c3d4e5/prod'],
    alert,
  });

describe('rendering', () => {
  // The Slack forwarder posts only views that pass its schema; a category whose view fails it would
  // reach Slack as foreign text instead of an alert.
  it.each(CATEGORIES)('the %s view passes the forwarder schema', (category) => {
    const published = JSON.parse(renderPublish(view({ category })).message) as { default: string };
    expect(parseAlertView(published.default)).toBeDefined();
  });

  it.each([
    ['&', '&amp;'],
    ['<!channel>', '&lt;!channel&gt;'],
    ['<https://evil|x>', '&lt;https://evil|x&gt;'],
  ])('escapes %s for Slack', (raw, escaped) => {
    expect(escapeSlack(raw)).toBe(escaped);
  });

  // Issue 8: Chatbot renders Slack markdown with automatic links and emoji, and cannot be told
  // `verbatim`: bare domains, markdown links and shortcodes from log text stayed live there.
  it.each([
    ['evil.example/login', 'evil[.]example/login'],
    ['www.evil.com', 'www[.]evil[.]com'],
    ['//evil.com', '//evil[.]com'],
    ['https:/evil.com', 'https:/evil[.]com'],
    ['https://evil.example/sso', 'https[:]//evil[.]example/sso'],
    ['[x](evil.example/x)', '[x] (evil[.]example/x)'],
    [':warning: :rotating_light:', '\u2236warning: \u2236rotating\u02cdlight:'],
    ['#general', '\uff03general'],
    ['Mozilla/5.0 curl/8.10.1 76.33.40.125 status: 403', 'Mozilla/5.0 curl/8.10.1 76.33.40.125 status: 403'],
  ])('makes %s inert for chat, and the e-mail reads it back', (raw, inert) => {
    expect(neutraliseLogText(raw)).toBe(inert);
    expect(toPlainText(neutraliseLogText(raw))).toBe(
      inert.replace(
        /[\u2236\uff03\u02cd]/g,
        (ch) => ({ '\u2236': ':', '\uff03': '#', '\u02cd': '_' })[ch] ?? ch,
      ),
    );
  });

  it('keeps a dotted stage out of the Chatbot title (a host name there is a link)', () => {
    const notification = JSON.parse(
      (JSON.parse(renderPublish(view({ stage: 'evil.com' })).message) as Record<string, string>).https ??
        '{}',
    ) as { content: { title: string } };
    expect(notification.content.title).toContain('a1b2c3d4e5/evil-com');
  });

  it('fills the Logs Insights link with the region and the request ids', () => {
    const url = logsInsightsUrl({
      region: 'eu-west-3',
      logGroups: ['/g'],
      requestIds: ['eed63f63-e960-4d89-ade7-39a0bf8f6740'],
      start: NOW - MINUTE,
      end: NOW,
    });
    expect(
      url.startsWith(
        'https://eu-west-3.console.aws.amazon.com/cloudwatch/home?region=eu-west-3#logsV2:logs-insights$3FqueryDetail$3D$257E',
      ),
    ).toBe(true);
    expect(url).toContain('eed63f63-e960-4d89-ade7-39a0bf8f6740');
  });

  it('renders e-mail, Chatbot and attributes from one Publish', () => {
    const rendered = renderPublish(view());
    const message = JSON.parse(rendered.message) as Record<string, string>;
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'https']);
    expect(message.email).toContain('+340 since the last alert');
    expect(message.email).toContain('a1b2c3d4e5');
    expect(JSON.parse(message.https ?? '{}')).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown' },
      metadata: { threadId: expect.stringMatching(/^apigw403-INVALID_API_KEY-[0-9a-f]{32}$/) },
    });
    expect(rendered.attributes).toEqual({
      category: 'INVALID_API_KEY',
      severity: expect.any(String),
      apiId: 'a1b2c3d4e5',
      stage: 'prod',
      kind: 'alert',
    });
  });

  // Issue 8: the raw text was cut before redaction, so a credential placed across the cut lost what
  // gives it away (the gateway's echo after the token, the key before the value). Escapes shrink
  // on decoding (`\u0078` is one `x`), so the cut could fall inside what is shown.
  it.each([
    ['an echoed token', (pad: string) => `${pad} abc123Secret not a valid key=value pair`],
    ['a key before its value', (pad: string) => `${pad} usage plan: x passwd abc123Secret`],
    ['a value after its key', (pad: string) => `${pad} password=${'\\u0061'.repeat(5)}bc123Secret`],
  ])('redacts before it cuts: %s across the cut point', (_name, line) => {
    for (let repeat = 300; repeat <= 460; repeat += 1) {
      const text = line('\\u0078'.repeat(repeat));
      const shown = fromLog(text, LIMITS.evidence);
      expect(shown).not.toContain('bc123Secret');
      expect(shown.length).toBeLessThanOrEqual(LIMITS.evidence);
    }
  });

  it('names the source account in the subject of a central alert and digest, even when the stage is cut', () => {
    const central = (stage: string) =>
      buildAlertView(group({ stage }), {
        region: 'eu-west-3',
        account: '111122223333',
        logGroups: [],
        alert,
      });
    expect(subjectLine(central('prod'))).toBe(
      '[HIGH] 403 INVALID_API_KEY on a1b2c3d4e5/prod in 111122223333: 42 requests',
    );
    const long = subjectLine(central('s'.repeat(128)));
    expect(long.length).toBeLessThan(100);
    expect(long).toMatch(/\.\.\. in 111122223333: 42 requests$/);
    expect(subjectLine(view())).not.toContain(' in ');
  });

  it('keeps the subject under 100 characters, one ASCII line', () => {
    const subject = subjectLine(view({ stage: `${'s'.repeat(200)}\nnext` }));
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('keeps an enormous group under the SNS limit and Slack under its block limits', () => {
    // Larger than a CloudWatch Logs event (256 KB): every field is redacted in full, then cut.
    const huge = 'x&<'.repeat(100_000);
    const big = view({
      evidence: Array.from({ length: 50 }, () => huge),
      topUserAgents: Array.from({ length: 50 }, () => ({ value: huge, count: 1 })),
      topPaths: Array.from({ length: 50 }, () => ({ value: huge, count: 1 })),
      sampleRequestIds: Array.from({ length: 50 }, () => huge),
    });
    const rendered = renderPublish(big);
    expect(Buffer.byteLength(rendered.message)).toBeLessThan(256 * 1024);
    expect(renderPublish(big, 9_000).view.notes.at(-1)).toMatch(/cut to fit/);
    expect(Buffer.byteLength(renderPublish(big, 9_000).message)).toBeLessThan(9_000);
    const slack = renderSlackMessage(big);
    expect(slack.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    for (const block of slack.blocks) {
      if (block.type === 'section')
        expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
  });
});

describe('the Slack forwarder', () => {
  const genuine = (): AlertView => renderPublish(view()).view;

  it('renders a view the monitor published', () => {
    const message = slackMessageFor(JSON.stringify(genuine()));
    expect(message.blocks[0]).toMatchObject({ type: 'header' });
    expect(message.text).toContain('INVALID_API_KEY');
  });

  it.each([
    ['a mention in the title', { title: '<!channel> rotate now' }],
    ['mrkdwn in log text', { topUserAgents: [{ value: '*bold* _it_', count: 1 }] }],
    ['a link in evidence', { evidence: ['https://evil.example/sso'] }],
    ['a foreign documentation link', { docUrl: 'https://evil.example/docs' }],
    ['a foreign Logs Insights link', { insightsUrl: 'https://evil.example/cloudwatch/home?x' }],
    ['an unknown field', { extra: 'x' }],
    ['an oversized field', { evidence: ['x'.repeat(5000)] }],
  ])('shows %s as log text, never as an alert', (_name, change) => {
    const spoofed = JSON.stringify({ ...genuine(), ...change });
    const message = slackMessageFor(spoofed);
    expect(message.text).toMatch(/not a monitor alert/);
    expect(message.blocks).toHaveLength(1);
    const block = message.blocks[0];
    const text = block?.type === 'section' ? block.text.text : '';
    expect(block).toMatchObject({ type: 'section', text: { type: 'mrkdwn', verbatim: true } });
    for (const raw of ['<!channel>', '*bold*', '_it_', 'https://evil']) expect(text).not.toContain(raw);
  });

  it('escapes before it truncates: 2,900 `&` stay inside the block limit', () => {
    const message = slackMessageFor('&'.repeat(2900));
    const block = message.blocks[0];
    const text = block?.type === 'section' ? block.text.text : '';
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(text).toMatch(/(&amp;)+…\[truncated\]$/);
  });

  it('redacts what another publisher sent', () => {
    const message = JSON.stringify(slackMessageFor('deploy with Authorization: Bearer abcDEF123456 done'));
    expect(message).not.toContain('abcDEF123456');
  });
});

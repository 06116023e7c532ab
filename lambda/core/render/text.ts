import { redact } from '../redact.js';

/**
 * Text hygiene shared by every renderer. Log text is hostile: it may hold credentials, Slack control
 * sequences (`<!channel>`, `<https://evil|click>`), mrkdwn (`*bold*`, a backtick that closes a code
 * span), links to click, or megabytes of user agent.
 */

export const TRUNCATION_MARKER = '…[truncated]';

/** Slack's three control characters, escaped as Slack documents; nothing else is touched. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * mrkdwn's formatting characters, the mention and channel signs and the colon that opens an emoji
 * shortcode, swapped for look-alikes that format nothing: Slack has no escape for them, and a
 * zero-width character would survive a copy and paste unseen.
 */
const INERT: Readonly<Record<string, string>> = {
  '*': '\u2217', // ∗ asterisk operator
  _: '\u02cd', // ˍ modifier letter low macron
  '~': '\u223c', // ∼ tilde operator
  '`': '\u02cb', // ˋ modifier letter grave accent
  '@': '\uff20', // ＠ fullwidth commercial at: no `@here`, no `@user`
  '#': '\uff03', // ＃ fullwidth number sign: no `#channel` link
  ':': '\u2236', // ∶ ratio: no `:warning:` emoji
};
const INERT_BACK: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(INERT)
    .filter(([raw]) => raw !== '@')
    .map(([raw, inert]) => [inert, raw]),
);

/**
 * The `.` before a label that starts with a letter (`evil.example/login`, `www.evil.com`,
 * `//evil.com`, `https:/evil.com`), so no host name reads as one: AWS Chatbot renders
 * `client-markdown` in Slack's markdown (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html:
 * "renders notifications in the target chat platform's markdown"; title and description support
 * markdown and emoji) and its schema has no `verbatim`, so Slack's automatic linking of bare domains
 * applies there. Numbers keep their dots (`Mozilla/5.0`, `76.33.40.125`): Slack links no bare address.
 */
const HOST_DOT = /(?<=[A-Za-z0-9-])\.(?=[A-Za-z])/g;
/** `:name:` as Slack reads an emoji shortcode (names are letters, digits, `_ + ' -`). */
const EMOJI_OPEN = /:(?=[\w+'-]{1,100}:)/g;

/**
 * Log text made inert for Slack mrkdwn and Chatbot markdown, so no caller-controlled text becomes a
 * link, a mention, an emoji or formatting: `& < >` escaped, formatting and mention characters
 * swapped for look-alikes (see `INERT`), every `scheme://` written `scheme[:]//`, the dot of every
 * host-like name written `[.]` (`evil[.]example/login`), and `](` broken (`] (`), so a markdown link
 * `[x](evil)` is two pieces of text. The Slack blocks also set `verbatim`; Chatbot cannot be told.
 */
export function neutraliseLogText(text: string): string {
  return escapeSlack(text)
    .replace(EMOJI_OPEN, INERT[':'] ?? ':')
    .replace(/[*_~`@]|#(?=\w)/g, (ch) => INERT[ch] ?? ch)
    .replaceAll('://', '[:]//')
    .replace(HOST_DOT, '[.]')
    .replaceAll('](', '] (');
}

/**
 * Plain text (e-mail) from view text. Angle brackets become look-alike guillemets so a log value can
 * never smuggle markup or an `<!channel>`-shaped string into any rendering; mrkdwn look-alikes go
 * back to what the log said (e-mail has no markup), defanged links stay defanged.
 */
export function toPlainText(escaped: string): string {
  return escaped
    .replace(/&lt;/g, '‹')
    .replace(/&gt;/g, '›')
    .replace(/&amp;/g, '&')
    .replace(/[\u2217\u02cd\u223c\u02cb\uff03\u2236]/g, (ch) => INERT_BACK[ch] ?? ch);
}

/** Cuts `text` to at most `max` UTF-16 units, marking the cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - TRUNCATION_MARKER.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}${TRUNCATION_MARKER}`;
}

/**
 * `truncate` for text that is already escaped: the limit counts what is sent, and the cut never
 * leaves half an entity (`&am`) at the end.
 */
export function truncateEscaped(text: string, max: number): string {
  const cut = truncate(text, max);
  if (cut === text) return cut;
  const body = cut.slice(0, cut.length - TRUNCATION_MARKER.length);
  const amp = body.lastIndexOf('&', body.length - 1);
  const partial = amp >= 0 && body.length - amp <= 4 && !body.includes(';', amp);
  return `${partial ? body.slice(0, amp) : body}${TRUNCATION_MARKER}`;
}

/** How much redacted text `fromLog` neutralises per character it may show: room for escapes and markers. */
const RAW_PER_SHOWN = 4;

/**
 * Every value that came from a log, ready for any renderer: redacted in full (which also makes it
 * one line, on the very text that is shown), then neutralised, then bounded by what is sent, never
 * the reverse. A cut before redaction could split a credential from what gives it away (`<token>
 * not a valid key=value pair`, a key before its value) or leave a piece too short to be recognised,
 * and decoding (`\u0078`, nested `%2525…`) can shrink any raw head below what is shown, so no raw
 * bound is safe; redaction is linear, and the redacted text is cut before it is neutralised.
 */
export function fromLog(text: string, max: number): string {
  const redacted = redact(text);
  const bound = max * RAW_PER_SHOWN + 64;
  const head = redacted.length <= bound ? redacted : redacted.slice(0, bound);
  const shown = truncateEscaped(neutraliseLogText(head), max);
  if (head.length === redacted.length || shown.endsWith(TRUNCATION_MARKER)) return shown;
  return truncateEscaped(`${shown}${TRUNCATION_MARKER}`, max);
}

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
 * mrkdwn's formatting characters and the mention sign, swapped for look-alikes that format nothing:
 * Slack has no escape for them, and a zero-width character would survive a copy and paste unseen.
 */
const INERT: Readonly<Record<string, string>> = {
  '*': '\u2217', // ∗ asterisk operator
  _: '\u02cd', // ˍ modifier letter low macron
  '~': '\u223c', // ∼ tilde operator
  '`': '\u02cb', // ˋ modifier letter grave accent
  '@': '\uff20', // ＠ fullwidth commercial at: no `@here`, no `@user`
};
const INERT_BACK: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(INERT)
    .filter(([raw]) => raw !== '@')
    .map(([raw, inert]) => [inert, raw]),
);

/**
 * Log text made inert for Slack mrkdwn and Chatbot markdown: `& < >` escaped, formatting characters
 * swapped for look-alikes, and every `scheme://` written `scheme[:]//` so no URL a caller sent
 * becomes a link (the Slack blocks also set `verbatim`, which stops Slack linking bare domains).
 */
export function neutraliseLogText(text: string): string {
  return escapeSlack(text)
    .replace(/[*_~`@]/g, (ch) => INERT[ch] ?? ch)
    .replaceAll('://', '[:]//');
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
    .replace(/[\u2217\u02cd\u223c\u02cb]/g, (ch) => INERT_BACK[ch] ?? ch);
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

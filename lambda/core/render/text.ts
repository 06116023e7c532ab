import { redact } from '../redact.js';

/**
 * Text hygiene shared by every renderer. Log text is hostile: it may hold credentials, Slack control
 * sequences (`<!channel>`, `<https://evil|click>`) or megabytes of user agent.
 */

export const TRUNCATION_MARKER = '…[truncated]';

/** Slack's three control characters, escaped as Slack documents; nothing else is touched. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Plain text (e-mail) from Slack-escaped text. Angle brackets become look-alike guillemets so a log
 * value can never smuggle markup or an `<!channel>`-shaped string into any rendering.
 */
export function toPlainText(escaped: string): string {
  return escaped.replace(/&lt;/g, '‹').replace(/&gt;/g, '›').replace(/&amp;/g, '&');
}

/** Cuts `text` to at most `max` UTF-16 units, marking the cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - TRUNCATION_MARKER.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}${TRUNCATION_MARKER}`;
}

/** Removes control characters (a log value must not break lines or terminal output). */
export function singleLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}

/** Every value that came from a log, ready for any renderer: redacted, one line, bounded, escaped. */
export function fromLog(text: string, max: number): string {
  return escapeSlack(truncate(singleLine(redact(text)), max));
}

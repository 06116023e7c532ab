/**
 * A CloudWatch Logs Insights console link with the query, time range and log groups filled in. The
 * console keeps its state in the URL fragment as a JSURL value, URL-encoded twice, with `%` written as
 * `$` (hence the `$257E` for `~` seen in console URLs).
 */

import { viewTime } from '../event-time.js';

export interface InsightsLinkInput {
  readonly region: string;
  readonly logGroups: readonly string[];
  readonly requestIds: readonly string[];
  readonly start: number;
  readonly end: number;
}

/** JSURL's string escaping: every character outside `[A-Za-z0-9_.-]` becomes `*hh` (or `**hhhh`). */
function jsurlString(value: string): string {
  const escaped = value.replace(/[^\w.-]/g, (ch) => {
    if (ch === '$') return '!';
    const code = ch.charCodeAt(0);
    return code < 0x100
      ? `*${code.toString(16).padStart(2, '0')}`
      : `**${code.toString(16).padStart(4, '0')}`;
  });
  return `'${escaped}`;
}

/** `encodeURIComponent` that also encodes the characters JSURL uses as syntax. */
function encodeAll(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*~]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function regexLiteral(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function insightsQuery(requestIds: readonly string[]): string {
  const ids = requestIds.map(regexLiteral).join('|');
  return [
    'fields @timestamp, @log, @message',
    `| filter @message like /${ids || 'no-request-id'}/`,
    '| sort @timestamp asc',
    '| limit 200',
  ].join('\n');
}

export function logsInsightsUrl(input: InsightsLinkInput): string {
  const region = encodeURIComponent(input.region);
  const detail = [
    '~(end~',
    jsurlString(viewTime(input.end)),
    '~start~',
    jsurlString(viewTime(input.start)),
    "~timeType~'ABSOLUTE~tz~'UTC~editorString~",
    jsurlString(insightsQuery(input.requestIds)),
    '~source~(',
    ...input.logGroups.map((group) => `~${jsurlString(group)}`),
    '))',
  ].join('');
  const fragment = `${encodeAll('?queryDetail=')}${encodeAll(encodeAll(detail))}`.replace(/%/g, '$');
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:logs-insights${fragment}`;
}

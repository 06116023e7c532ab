import { splitExecutionLine } from '../../lambda/core/index.js';

/** What a line is once the prefixes viewers and tools put before the log message are taken off. */
export interface LineMessage {
  readonly message: string;
  readonly timestamp?: number;
  /** The prefix ended in a time zone: `aws logs tail --format detailed|json` then prints the stream. */
  readonly streamMayFollow: boolean;
}

// ISO 8601 as `aws logs tail` (detailed, short, json), S3 exports and most viewers print it;
// `YYYY-MM-DD HH:MM:SS.mmm (+00:00)` as the Serverless Framework prints it.
const ISO_TIME =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:[.,]\d+)?)(Z|[+-]\d{2}:?\d{2})?(?:\s+\(([+-]\d{2}:\d{2})\))?(?:\s+|\s*\|\s*|$)/;
// `Tue Jun 23 05:56:11 UTC 2020 : ` as the console's test invoke prints execution lines.
const TEST_INVOKE_TIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2} [A-Z]{2,5} \d{4} : /;
// `[2b4492] `, `[2016-10-11 15:26:57] ` (zappa tail), `15:26:57 ` or `15:26:57.123 ` (clock prefixes).
const BRACKET_TOKEN = /^\[[^\]\s][^\]]{0,63}\]\s+/;
const CLOCK_TIME = /^\d{2}:\d{2}:\d{2}(?:\.\d+)?\s+/;
const SEPARATOR = /^[|\t]\s*/;

/** Takes the known viewer and tool prefixes off a line (repeatedly: tools stack them). */
export function stripLinePrefixes(line: string): LineMessage {
  let rest = line;
  let timestamp: number | undefined;
  let streamMayFollow = false;
  for (let guard = 0; guard < 8; guard += 1) {
    const iso = ISO_TIME.exec(rest);
    if (iso) {
      const zone = iso[3] ?? iso[4];
      timestamp ??= Date.parse(`${iso[1]}T${(iso[2] ?? '').replace(',', '.')}${normaliseZone(zone)}`);
      streamMayFollow = zone !== undefined && iso[4] === undefined;
      rest = rest.slice(iso[0].length);
      continue;
    }
    const prefix = TEST_INVOKE_TIME.exec(rest) ?? BRACKET_TOKEN.exec(rest) ?? CLOCK_TIME.exec(rest);
    const separator = prefix ? undefined : SEPARATOR.exec(rest);
    const matched = prefix ?? separator;
    if (!matched) break;
    rest = rest.slice(matched[0].length);
  }
  return { message: rest.trimEnd(), ...(timestamp === undefined ? {} : { timestamp }), streamMayFollow };
}

function normaliseZone(zone: string | undefined): string {
  if (zone === undefined || zone === 'Z') return 'Z';
  return zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}

/** The message with its first `count` white-space-separated words (a stream name) removed, if it has that many. */
export function dropWords(message: string, count: number): string | undefined {
  let rest = message;
  for (let index = 0; index < count; index += 1) {
    const word = /^\S+\s+/.exec(rest);
    if (!word) return undefined;
    rest = rest.slice(word[0].length);
  }
  return rest === '' ? undefined : rest;
}

// Execution-log lines without their `(requestId) ` prefix (older logs, zappa, test invoke).
const EXECUTION_TEXT =
  /^(?:Extended Request Id:|Verifying Usage Plan for request:|API Key\b.*\b(?:authorized because|exceeded)|Usage Plan check|Method completed with status:|Method request (?:path|query string|headers|body)|Method response (?:body|headers)|Starting execution for request:|Starting authorizer:|Incoming identity:|Authorizer result body|Using valid authorizer policy|Successfully completed (?:authorizer )?execution|Unauthorized request:|The client is not authorized to perform this operation|Access denied\.\s*Reason:|HTTP Method: \w+, Resource Path:|Endpoint (?:request|response) |Received response\. Status:|Sending request to |Execution failed due to|Lambda (?:execution|invocation) failed|Key throttle limit exceeded|AuthorizerConfigurationException|Gateway response )/;

const REQUEST_ID = /^[0-9a-fA-F-]{8,}$/;

/** True for a REST execution-log line: the `(requestId) ` prefix, or text only execution logs hold. */
export function isExecutionLine(message: string): boolean {
  const { requestId, text } = splitExecutionLine(message);
  return (requestId !== undefined && REQUEST_ID.test(requestId)) || EXECUTION_TEXT.test(text);
}

/** `aws logs ... --output text`: `EVENTS` rows; `undefined` for the output's other rows. */
export interface TextOutputEvent {
  readonly id?: string;
  readonly stream?: string;
  readonly timestamp: number;
  readonly message: string;
}

const DIGITS = /^\d+$/;

/**
 * One row of `--output text`. filter-log-events prints `EVENTS eventId ingestionTime logStreamName
 * message timestamp`, get-log-events `EVENTS ingestionTime message timestamp` (keys in alphabetical
 * order, tab-separated); the token and SEARCHEDLOGSTREAMS rows carry no event.
 */
export function parseTextOutputRow(line: string): TextOutputEvent | 'other' | undefined {
  const fields = line.split('\t');
  const [kind] = fields;
  if (kind === 'SEARCHEDLOGSTREAMS' || kind === 'NEXTTOKEN') return 'other';
  if (fields.length === 2 && /^b\//.test(fields[0] ?? '') && /^f\//.test(fields[1] ?? '')) return 'other';
  if (kind !== 'EVENTS' || fields.length < 4) return undefined;
  const timestamp = Number(fields[fields.length - 1]);
  if (!DIGITS.test(fields[fields.length - 1] ?? '')) return undefined;
  if (fields.length >= 6 && DIGITS.test(fields[1] ?? '') && DIGITS.test(fields[2] ?? '')) {
    return {
      id: fields[1] as string,
      stream: fields[3] as string,
      timestamp,
      message: fields.slice(4, -1).join('\t'),
    };
  }
  return { timestamp, message: fields.slice(2, -1).join('\t') };
}

import { redactLines, redactName } from '../../lambda/core/index.js';
import { stripControlSequences } from '../terminal.js';

/** Where a command writes, and whether a person is watching (progress lines and charts only then). */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
}

export const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
};

/** Exit codes shared with `cli/main.ts`. */
export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;
/** The shell's convention for a run ended by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

export class UsageError extends Error {}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `24h`, `7d` -> milliseconds; throws `UsageError` otherwise. */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(text.trim());
  const unit = match?.[2];
  if (!match || unit === undefined)
    throw new UsageError(`--since ${text}: expected a number and a unit (s, m, h, d), e.g. 24h`);
  return Number(match[1]) * (UNIT_MS[unit] ?? 0);
}

/**
 * Aborts on Ctrl-C until `dispose` is called, so a long read can stop and still report what it read.
 * The handler replaces Node's default exit for the duration of the command only.
 */
export function abortOnSigint(): { readonly signal: AbortSignal; readonly dispose: () => void } {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}

/** Text as the CLI may print it: nothing a terminal would act on, every recognised credential removed. */
export function safeText(text: string): string {
  return redactLines(stripControlSequences(text));
}

/**
 * A name AWS returned or the user gave (a stage, an API id, a subscription filter): as spelled unless
 * it is a credential by its shape. `safeText`'s entropy rule takes names like `feat-AddUserOAuth2Login`
 * for tokens, and a printed name changed by redaction names nothing.
 */
export function safeName(text: string): string {
  return redactName(stripControlSequences(text));
}

/**
 * Text the CLI composed itself from values that have each passed `safeText` (a shell command it
 * prints): redaction normalises escapes, which would break the command's quoting, so only control
 * sequences are stripped from the whole.
 */
export class ComposedText {
  constructor(readonly text: string) {}
}

/**
 * One JSON document whose every string value has passed `safeText` (keys are the CLI's own), and
 * every `ComposedText` has been stripped of control sequences.
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, entry: unknown) => {
      if (entry instanceof ComposedText) return stripControlSequences(entry.text);
      return typeof entry === 'string' ? safeText(entry) : entry;
    },
    indent,
  );
}

/**
 * The only way commands print: text through `safeText`, JSON with `safeJson` (redaction runs on the
 * values, never across the serialised document, so it cannot break the JSON).
 */
export interface SafeOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** A `ComposedText` on standard output. */
  readonly composed: (text: ComposedText) => void;
  /** One JSON document and a newline on standard output. */
  readonly json: (value: unknown, indent?: number) => void;
}

export function safeOutput(io: {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}): SafeOutput {
  return {
    out: (text) => io.stdout(safeText(text)),
    err: (text) => io.stderr(safeText(text)),
    composed: (text) => io.stdout(stripControlSequences(text.text)),
    json: (value, indent) => io.stdout(`${safeJson(value, indent)}\n`),
  };
}

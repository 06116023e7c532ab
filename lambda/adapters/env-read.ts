import { MonitorError } from './errors.js';

/** A function's environment, as `process.env` gives it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A configuration problem: non-retryable, so the invocation fails once with this message. */
export const invalid = (message: string): MonitorError =>
  new MonitorError(`configuration: ${message}`, false);

/** The trimmed value of `name`; a missing or blank one is a configuration problem. */
export function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw invalid(`${name} is required`);
  return value;
}

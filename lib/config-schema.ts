/**
 * The zod building blocks of every deploy-time schema (lib/config.ts, lib/config-modes.ts): each
 * problem names the value, what the key needs, and an example.
 */
import { z } from 'zod';

export function describe(value: unknown): string {
  if (value === undefined) return 'a missing value';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export const says = (problem: string, example: string) => `${problem}. Example: ${example}`;
/** The message of a value that is not what the key needs: `<value> is not <what>. Example: <example>`. */
export const isNot =
  (what: string, example: string) =>
  (issue: { readonly input?: unknown }): string =>
    says(`${describe(issue.input)} is not ${what}`, example);

export function text(pattern: RegExp, what: string, example: string) {
  const error = isNot(what, example);
  return z.string({ error }).regex(pattern, { error });
}

export function wholeNumber(min: number, max: number, what: string, example: string) {
  const error = isNot(what, example);
  return z
    .number({ error })
    .refine((value) => Number.isInteger(value) && value >= min && value <= max, { error });
}

export function flag(example: string) {
  return z.boolean({ error: isNot('true or false', example) });
}

/**
 * A strict object: a key it does not know is reported by name, with the keys it does know; `unlisted`
 * keys (refused ones kept in the shape for their own message) are not offered as known.
 */
export function objectOf<Shape extends z.core.$ZodLooseShape>(
  shape: Shape,
  what: string,
  example: string,
  unlisted: readonly string[] = [],
) {
  const known = Object.keys(shape).filter((key) => !unlisted.includes(key));
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? says(`is not a known key (known: ${known.join(', ')})`, example)
        : isNot(what, example)(issue),
  });
}

/**
 * Every value the product splices into a printed command comes back from bash as the exact string:
 * `shellQuote` on its own, and `fillCommand` inside a template's plain, `'…'` and `"…"` quoting; in
 * `bash -c` with history expansion on (`set -o history -o histexpand`, as a terminal has it) and in an
 * interactive `bash -i`; under a UTF-8 locale and under `LC_ALL=C`. And the printed checks keep the
 * characters bash expands (`$`, backquote, backslash, `!`) out of the double quotes of their templates.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, describeCategory } from '../../lambda/core/index.js';
import { WEBSOCKET_SIGNAL } from '../../lambda/core/rules.js';
import { fillCommand, shellQuote } from '../../lambda/core/shell.js';

const run = promisify(execFile);

type Mode = 'bash -c, histexpand' | 'bash -i';
const MODES: readonly Mode[] = ['bash -c, histexpand', 'bash -i'];
const LOCALES = ['C.UTF-8', 'C'] as const;

/** What bash prints for each line of `lines`, each line being `printf '%s\0' WORDS`. */
async function bashPrints(lines: readonly string[], mode: Mode, locale: string): Promise<string[]> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', LC_ALL: locale };
  const options = { env, encoding: 'buffer' as const, maxBuffer: 16 * 1024 * 1024, timeout: 30_000 };
  const script = lines.join('\n');
  const child =
    mode === 'bash -i'
      ? run('bash', ['--norc', '--noprofile', '-i'], options)
      : run('bash', ['-c', `set -o history -o histexpand\n${script}`], options);
  if (mode === 'bash -i') child.child.stdin?.end(`${script}\n`);
  const { stdout } = await child;
  return stdout.toString('utf8').split('\0').slice(0, -1);
}

const HOSTILE = [
  '!',
  '!!',
  '!$',
  '!-1',
  '^a^b',
  "'",
  '"',
  '\\',
  '$',
  '$(id)',
  '`id`',
  '$' + '{x}',
  '\n',
  '\n!!',
  '\r',
  '\t',
  '\u0085',
  '\u00a0',
  '#',
  '~',
  '*',
  ' ',
  '\u2028',
];
/** Arbitrary text (any code point but NUL, which no argument can hold), salted with what bash reads. */
const value = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 6 })
  .map((parts) => parts.join('').replaceAll('\0', ''));

/** Each template's quoting around the spliced value, and the argument bash must see. */
const TEMPLATES: readonly (readonly [string, (value: string) => string])[] = [
  ["printf '%s\\0' {v}", (v) => v],
  ["printf '%s\\0' a{v}b", (v) => `a${v}b`],
  ["printf '%s\\0' 'a{v}b'", (v) => `a${v}b`],
  ['printf \'%s\\0\' "a{v}b"', (v) => `a${v}b`],
  ["printf '%s\\0' \"a'{v}'b\"", (v) => `a'${v}'b`],
];

describe('a spliced value, pasted into bash', () => {
  for (const mode of MODES) {
    for (const locale of LOCALES) {
      it(`shellQuote and fillCommand give back the exact string (${mode}, LC_ALL=${locale})`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 8 }), async (values) => {
            const lines = values.flatMap((v) => [
              `printf '%s\\0' ${shellQuote(v)}`,
              ...TEMPLATES.map(([template]) => fillCommand(template, { v: { literal: v } })),
            ]);
            const expected = values.flatMap((v) => [v, ...TEMPLATES.map(([, argument]) => argument(v))]);
            expect(await bashPrints(lines, mode, locale)).toEqual(expected);
          }),
          { numRuns: 15, examples: [[['!!', "it's", '\u0085', '$(id)`id`\\']]] },
        );
      }, 120_000);
    }
  }
});

/** The command text outside its single-quoted words (`'…'` and `$'…'`), where bash reads `$` and `!`. */
function outsideSingleQuotes(command: string): string {
  return command.replaceAll(/\$?'[^']*'/g, '');
}

describe('the printed checks', () => {
  it('hold no $, backquote, backslash or ! inside double quotes (bash expands them there)', () => {
    const values = { apiId: 'a1b2c3d4e5', stage: 'prod', region: 'eu-west-1', domainName: 'api.example.com' };
    const commands = CATEGORIES.flatMap((category) =>
      [false, true].flatMap(
        (webSocket) =>
          describeCategory(category, {
            ...values,
            apiKeyId: 'k1',
            signals: webSocket ? [WEBSOCKET_SIGNAL] : [],
          }).checks,
      ),
    ).filter((check) => /^(?:aws|npx) /.test(check));
    expect(commands.length).toBeGreaterThan(20);
    for (const command of commands) {
      const doubleQuoted = outsideSingleQuotes(command).match(/"[^"]*"/g) ?? [];
      for (const span of doubleQuoted) expect(span, command).not.toMatch(/[$`\\!]/);
    }
  });
});

import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runExplain } from '../../cli/commands/explain.js';
import { captureIo } from '../../cli/peers/aws-env.js';
import { CATEGORIES, describeCategory } from '../../lambda/core/index.js';
import { WEBSOCKET_SIGNAL } from '../../lambda/core/rules.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

/**
 * The "First checks" are commands a reader pastes into a shell, with names from a capture or a log
 * spliced in. Pasted into bash (history expansion on, as in a terminal) with `aws` stubbed to record
 * its arguments, every command must run `aws` once, with each value as one literal argument, and
 * nothing else: no file appears in the working directory.
 */
const run = promisify(execFile);

/** A placeholder the product prints for the reader to fill in (`<caller-arn>`, `<region>`). */
const PLACEHOLDER = /<[\w-]+>/;

/** The command part of a check (what precedes its `  (note)`), placeholders filled as a reader would. */
function commandOf(check: string): string {
  const command = /^((?:aws|apigw403|npx) .*?)(?:\s{2}\(.*\))?$/s.exec(check)?.[1] ?? check;
  return command.replaceAll(new RegExp(PLACEHOLDER.source, 'g'), 'FILLED');
}

interface Pasted {
  /** The arguments of each `aws` call, in order. */
  readonly calls: readonly (readonly string[])[];
  /** What the commands left in the working directory. */
  readonly files: readonly string[];
}

async function paste(commands: readonly string[]): Promise<Pasted> {
  const dir = plainTempDir('apigw403-paste-');
  const cwd = join(dir, 'cwd');
  const argv = join(dir, 'argv');
  writeFileSync(argv, '');
  mkdirSync(cwd);
  const script = [
    'set -o history -o histexpand',
    `aws() { printf '%s\\0' "$@" >> ${JSON.stringify(argv)}; printf '\\1\\0' >> ${JSON.stringify(argv)}; }`,
    'apigw403() { aws "$@"; }',
    'npx() { aws "$@"; }',
    `cd ${JSON.stringify(cwd)}`,
    ...commands,
  ].join('\n');
  await run('bash', ['-c', script]).catch(() => undefined);
  const fields = readFileSync(argv, 'utf8').split('\0');
  const calls: string[][] = [];
  let call: string[] = [];
  for (const field of fields.slice(0, -1)) {
    if (field === '\u0001') {
      calls.push(call);
      call = [];
    } else {
      call.push(field);
    }
  }
  return { calls, files: readdirSync(cwd) };
}

/** The value each option of a printed command must carry. */
function expectedOptions(values: { apiId: string; stage: string; region: string; domainName: string }) {
  return new Map([
    ['--rest-api-id', values.apiId],
    ['--api-id', values.apiId],
    ['--stage-name', values.stage],
    ['--api', values.apiId],
    ['--stage', values.stage],
    ['--region', values.region],
    ['--domain-name', values.domainName],
  ]);
}

const HOSTILE = [
  '$(touch P)',
  '`touch P`',
  ';touch P;',
  '|touch P',
  '&& touch P',
  '$IFS',
  '{touch,P}',
  '>P',
  '<P',
  "'",
  '"',
  '\\',
  '!!',
  '!touch',
  '*',
  '~',
  '#',
  '\n',
  // At the start of a pasted line, bash's history expansion ignores the quote the line continues.
  '\n^P^',
  '\n!!',
  '\r\t\u0085',
  '$default',
  "$'\\x41'",
  ' ',
];
const hostile = fc
  .array(
    fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 4 }), fc.constantFrom('prod', 'a', '-')),
    {
      maxLength: 6,
    },
  )
  .map((parts) => parts.join('').replaceAll('\0', ''))
  // The annotation of a check begins at two spaces and a parenthesis.
  .filter((value) => !/\s{2}\(/.test(value) && !PLACEHOLDER.test(value));

describe('printed commands, pasted into bash', () => {
  it('run aws once each, with every spliced value as one literal argument, and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ apiId: hostile, stage: hostile, region: hostile, domainName: hostile }),
        fc.boolean(),
        async (values, webSocket) => {
          const commands = CATEGORIES.flatMap(
            (category) =>
              describeCategory(category, {
                ...values,
                apiKeyId: values.apiId,
                signals: webSocket ? [WEBSOCKET_SIGNAL] : [],
              }).checks,
          )
            .filter((check) => /^(?:aws|npx) /.test(check))
            .map(commandOf);
          const pasted = await paste(commands);
          expect(pasted.files).toEqual([]);
          expect(pasted.calls).toHaveLength(commands.length);
          const options = expectedOptions(values);
          for (const call of pasted.calls) {
            call.forEach((arg, index) => {
              const expected = options.get(arg);
              if (expected !== undefined) expect(call[index + 1]).toBe(expected);
            });
          }
        },
      ),
      {
        numRuns: 40,
        examples: [[{ apiId: '', stage: '', region: '', domainName: '\n^' }, false]],
      },
    );
  }, 60_000);
});

function har(url: string, message: string): string {
  return JSON.stringify({
    log: {
      version: '1.2',
      entries: [
        {
          request: { method: 'GET', url, headers: [] },
          response: {
            status: 403,
            headers: [{ name: 'x-amzn-RequestId', value: '11111111-2222-3333-4444-555555555555' }],
            content: { text: message === '' ? '' : JSON.stringify({ message }) },
          },
        },
      ],
    },
  });
}

describe('explain: the first checks of a capture, pasted into bash', () => {
  it.each([
    [
      'a stage with $(...)',
      'https://abcdefghij.execute-api.eu-west-1.amazonaws.com/prod$(touch%20P)/orders',
      'Missing Authentication Token',
      '--stage-name',
      'prod$(touch P)',
    ],
    [
      'a stage with ;',
      'https://abcdefghij.execute-api.eu-west-1.amazonaws.com/prod;touch%20P;true/orders',
      'Missing Authentication Token',
      '--stage-name',
      'prod;touch P;true',
    ],
    [
      'a custom domain with $(...)',
      'https://api$({touch,P}).example.com/prod/orders',
      'Forbidden',
      '--domain-name',
      'api$({touch,p}).example.com',
    ],
    [
      'a stage with $(...), in the triage command of an undecided answer',
      'https://abcdefghij.execute-api.eu-west-1.amazonaws.com/prod$(touch%20P)/orders',
      '',
      '--stage',
      'prod$(touch P)',
    ],
    [
      'a plain stage (control)',
      'https://abcdefghij.execute-api.eu-west-1.amazonaws.com/prod/orders',
      'Missing Authentication Token',
      '--stage-name',
      'prod',
    ],
  ])('%s runs only aws, with the value as one argument', async (_name, url, message, option, value) => {
    const dir = plainTempDir('apigw403-explain-paste-');
    const path = join(dir, 'ticket.har');
    writeFileSync(path, har(url, message));
    const io = captureIo();
    await runExplain({ har: path, since: '24h', output: 'text' }, io);
    const commands = io
      .out()
      .split('\n')
      .map((line) => /^\s*- (?:Or .*?: )?((?:aws|apigw403) .*)$/.exec(line)?.[1])
      .filter((command): command is string => command !== undefined)
      .map(commandOf);
    expect(commands.length).toBeGreaterThan(0);
    const pasted = await paste(commands);
    expect(pasted.files).toEqual([]);
    expect(pasted.calls).toHaveLength(commands.length);
    const values = pasted.calls.flatMap((call) => call.filter((_arg, index) => call[index - 1] === option));
    expect(values.length).toBeGreaterThan(0);
    for (const got of values) expect(got).toBe(value);
  });
});

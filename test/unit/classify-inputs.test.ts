import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeText } from '../../cli/commands/command-io.js';
import { splitFileArgument, stageOfLogGroup } from '../../cli/input.js';
import { stripControlSequences } from '../../cli/terminal.js';
import { A1, accessLine, E3, E4, E5, EXECUTION_GROUP, MESSAGES } from '../fixtures/evidence.js';
import { plainTempDir } from '../fixtures/temp-dir.js';
import { classifyCaptured } from './classify-file.js';

const dir = plainTempDir('apigw403-inputs-');
const file = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const run = (files: string[], output: 'jsonl' | 'table' = 'jsonl', logGroup?: string) =>
  classifyCaptured(files, { output, ...(logGroup ? { logGroup } : {}) });

describe('classify: honest answers on inputs that hold no API Gateway log line', () => {
  it.each([
    [
      'Lambda logs',
      'lambda.log',
      'START RequestId: 1 Version: $LATEST\nhello\nEND RequestId: 1\nREPORT RequestId: 1 Duration: 1 ms\n',
      '0 of 4 lines are API Gateway log lines (looks like: Lambda function logs, not API Gateway logs?)',
    ],
    [
      'binary data',
      'garbage.bin',
      Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x0a, 0x00, 0x9b]),
      '(looks like: binary data)',
    ],
    ['a zip archive', 'export.zip', Buffer.from('PK\x03\x04\x14\x00\x00\x00', 'latin1'), 'unzip it first'],
    ['an empty file', 'empty.log', '', 'no log lines in the file'],
    [
      'JSON that is no export',
      'config.json',
      '{"Version":"2012-10-17","Statement":[]}',
      '0 of 1 lines are API Gateway log lines',
    ],
    [
      'a table without messages',
      'times.csv',
      '@timestamp,@logStream\n2026-07-22 03:52:54.821,abc\n',
      'Insights CSV without @message?',
    ],
  ])('%s: says so on stderr and exits 1', async (_what, name, content, message) => {
    const path = file(name, content);
    const { code, stdout, stderr } = await run([path], 'table');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`apigw403 classify: ${path}: `);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an unreadable file is exit 2, a directory too, and the other files are still read', async () => {
    const { code, stderr, findings } = await run([join(dir, 'missing.log'), dir, file('a1.log', A1)]);
    expect(code).toBe(2);
    expect(findings).toHaveLength(1);
    expect(stderr).toMatch(/missing\.log: cannot read \(ENOENT\)/);
    expect(stderr).toMatch(/: cannot read \(EISDIR\)/);
  });

  it('"No 403 found." only when log lines were read, with their count', async () => {
    const ok = file(
      'ok.log',
      `${accessLine({ status: '200' })}\n${accessLine({ requestId: 'x-2', status: '200' })}\n`,
    );
    expect(await run([ok], 'table')).toMatchObject({
      code: 0,
      stdout: 'No 403 found in 2 API Gateway log lines.\n',
    });
    expect((await run([ok])).stderr).toBe('apigw403 classify: No 403 found in 2 API Gateway log lines.\n');
  });

  it('counts and skips what is not a log line, and processes the rest in full', async () => {
    const mixed = file('mixed.log', `${A1}\nnot a log line\n${A1.replace('eed63f63', 'bbbbbbbb')}\n`);
    const { code, stderr, findings } = await run([mixed]);
    expect(code).toBe(0);
    expect(findings).toHaveLength(2);
    expect(stderr).toBe(
      `apigw403 classify: ${mixed}: 1 of 3 lines are not API Gateway log lines (skipped)\n`,
    );
  });

  it('JSON nested a million deep is no export, not a crash', async () => {
    const deepObject = `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`;
    const path = file(
      'deep.json',
      `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}\n${deepObject}\n${A1}\n`,
    );
    const { code, findings, stderr } = await run([path]);
    expect(code).toBe(0);
    expect(findings).toHaveLength(1);
    expect(stderr).toBe(`apigw403 classify: ${path}: 2 of 3 lines are not API Gateway log lines (skipped)\n`);
  });

  it('a gzip-compressed export is read like the text inside', async () => {
    const { code, findings } = await run([file('export.log.gz', gzipSync(`${A1}\n`))]);
    expect(code).toBe(0);
    expect(findings).toHaveLength(1);
  });

  // PowerShell's `>` writes UTF-16LE with a byte order mark: it was reported as binary data.
  it.each([
    ['UTF-16LE', (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
    [
      'UTF-16BE',
      (text: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]),
    ],
  ])('a %s export with a byte order mark is read like the text inside', async (name, encode) => {
    const { code, findings, stderr } = await run([
      file(`${name}.log`, encode(`${A1}\r\n${A1.replace('eed63f63', 'aaaaaaaa')}\r\n`)),
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(findings).toHaveLength(2);
  });

  it('a pretty-printed JSON export cut short says it may be truncated', async () => {
    const events = [0, 1, 2].map((i) => ({
      timestamp: 1_784_692_374_821 + i,
      message: accessLine({ requestId: `r-${i}` }),
    }));
    const pretty = JSON.stringify({ events, searchedLogStreams: [] }, null, 4);
    const path = file('cut-export.json', pretty.slice(0, Math.floor(pretty.length * 0.6)));
    const { code, stderr } = await run([path]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /cut-export\.json: 0 of \d+ lines are API Gateway log lines \(looks like: JSON that never closes \(truncated\?\)\)\n$/,
    );
    expect((await run([file('whole-export.json', pretty)])).findings).toHaveLength(3);
  });

  it('a gzip export cut inside its first line is a one-line error', async () => {
    const path = file('cut.log.gz', gzipSync(`${A1}\n`).subarray(0, 20));
    const { code, stderr } = await run([path]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `apigw403 classify: ${path}: gzip data ends early (truncated): the 0 whole lines before the cut are read\n`,
    );
  });
});

describe('classify: tool prefixes and execution lines without a request id', () => {
  const usagePlan = ['Starting execution for request: 25bdd356-8fc7-11e6-93c4-e3cf41861839', E3, E4, E5];
  const denial = [E4, E5];

  it.each([
    ['zappa tail', (line: string) => `[2b4492] [2016-10-11 15:26:57] ${line}`],
    ['HH:MM:SS prefixes', (line: string) => `15:26:57 ${line}`],
    ['serverless logs', (line: string) => `2016-10-11 15:26:57.123 (+00:00)\t${line}`],
    ['test invoke', (line: string) => `Tue Oct 11 15:26:57 UTC 2016 : ${line}`],
  ])('%s', async (_tool, prefix) => {
    const { code, findings, stderr } = await run(
      [file('tool.log', usagePlan.map(prefix).join('\n'))],
      'jsonl',
      'API-Gateway-Execution-Logs_i01t0vftre/staging',
    );
    expect(code, stderr).toBe(0);
    expect(findings).toMatchObject([
      {
        requestId: '25bdd356-8fc7-11e6-93c4-e3cf41861839',
        category: 'INVALID_API_KEY',
        reason: 'stage-not-in-usage-plan',
        apiId: 'i01t0vftre',
        stage: 'staging',
      },
    ]);
  });

  it('execution lines that name no request: one finding per run of lines, named by file and line', async () => {
    const path = file('zappa.log', [...denial, ...denial].map((line) => `[2b4492] ${line}`).join('\n'));
    const { findings } = await run([path]);
    expect(findings.map((finding) => [finding.requestId, finding.category])).toEqual([
      [`${path}:1`, 'INVALID_API_KEY'],
      [`${path}:3`, 'INVALID_API_KEY'],
    ]);
  });

  it('--log-group does not apply to documents that name their group', async () => {
    const document = {
      messageType: 'DATA_MESSAGE',
      owner: '1',
      logGroup: '/aws/apigateway/a1b2c3d4e5/prod',
      logStream: 's',
      subscriptionFilters: [],
      logEvents: [
        {
          id: '1',
          timestamp: 1,
          message: accessLine({ apiId: '-', stage: '-' }).replace(/"(apiId|stage)":"-",/g, ''),
        },
      ],
    };
    const { findings } = await run([file('doc.json', JSON.stringify(document))], 'jsonl', EXECUTION_GROUP);
    expect(findings).toMatchObject([{ apiId: 'a1b2c3d4e5', stage: 'prod' }]);
  });

  it('FILE=GROUP splits at the last "=" only when the rest is a log group name', () => {
    expect(splitFileArgument('a=b.log=/aws/apigateway/x/prod')).toEqual({
      path: 'a=b.log',
      logGroup: '/aws/apigateway/x/prod',
    });
    expect(splitFileArgument('key=value with space')).toEqual({ path: 'key=value with space' });
    expect(splitFileArgument('-')).toEqual({ path: '-' });
  });

  it('reads an existing file whose name holds `=` as a file, not as FILE=GROUP', async () => {
    const path = file('report=prod.log', `${A1}\n`);
    const { code, findings, stderr } = await run([path]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(findings).toHaveLength(1);
    // A name that is no file still splits: the group applies to the file before the `=`.
    const named = file('plain.log', `${A1}\n`);
    expect((await run([`${named}=/aws/apigateway/a1b2c3d4e5/prod`])).code).toBe(0);
  });

  it.each([
    ['API-Gateway-Execution-Logs_a1b2c3d4e5/prod', { apiId: 'a1b2c3d4e5', stage: 'prod' }],
    ['/aws/apigateway/a1b2c3d4e5/prod', { apiId: 'a1b2c3d4e5', stage: 'prod' }],
    ['API-Gateway-Access-Logs_f6g7h8i9j0/default', { apiId: 'f6g7h8i9j0', stage: 'default' }],
    ['/some/other/app-logs', undefined],
    ['/aws/lambda/myfunction/x', undefined],
  ])('the stage of log group %s', (group, stage) => {
    expect(stageOfLogGroup(group)).toEqual(stage);
  });
});

describe('classify: everything printed is redacted and terminal-safe', () => {
  const hostile = accessLine({
    requestId: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl',
    domainName: 'x\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007.example.com',
    resourcePath: '/p?X-Amz-Security-Token=FQoGZXIvYXdzELj//////////wEaDLalUxm\u009b31m',
    error: { message: MESSAGES.forbidden, responseType: 'WAF_FILTERED' },
    identity: { userAgent: 'curl \u001b[2J\u001b[31mAKIAIOSFODNN7EXAMPLE' },
  });

  it('in JSONL, table and stderr', async () => {
    const jsonl = await run([file('hostile.log', hostile)]);
    expect(jsonl.findings).toHaveLength(1);
    const table = await run([file('hostile.log', hostile)], 'table');
    const stderr = await run([file('secret\u001b[31m-AKIAIOSFODNN7EXAMPLE.log', 'no log here')]);
    for (const text of [jsonl.stdout, table.stdout, stderr.stderr]) {
      expect(text).not.toMatch(/eyJzdWIi|c2lnbmF0dXJl|FQoGZXIvYXdzELj|AKIAIOSFODNN7EXAMPLE/);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    }
    expect(jsonl.findings[0].domainName).not.toContain('8;;');
  });

  it('stripControlSequences leaves no C0/C1 control but newline and tab, and keeps printable text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const stripped = stripControlSequences(text);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
        expect(stripped).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      }),
    );
    expect(stripControlSequences('a\tb\nc \u001b[1;31mred\u001b[0m \u001b]0;title\u0007done')).toBe(
      'a\tb\nc red done',
    );
    expect(safeText('Authorization: Bearer abc.def.ghi\u001b[0m')).not.toContain('abc.def.ghi');
  });
});

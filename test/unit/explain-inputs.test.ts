import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExplain } from '../../cli/commands/explain.js';
import { captureIo } from '../../cli/peers/aws-env.js';
import { parseHar } from '../../lambda/core/explain/index.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

const CURL = 'test/fixtures/explain/waf-block.curl.txt';
const dir = plainTempDir('apigw403-explain-');
const file = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const base = { since: '24h', output: 'text' as const };

async function explain(options: Parameters<typeof runExplain>[0], stdin?: string) {
  const io = { ...captureIo(), readStdin: async () => stdin ?? '' };
  const code = await runExplain(options, io);
  return { code, out: io.out(), err: io.err() };
}

const harEntry = (overrides: Record<string, unknown> = {}) => ({
  request: {
    method: 'GET',
    url: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/x',
    headers: [],
  },
  response: {
    status: 403,
    headers: [{ name: 'x-amzn-ErrorType', value: 'ForbiddenException' }],
    content: { text: '{"message":"Forbidden"}' },
  },
  ...overrides,
});

describe('explain: inputs', () => {
  it('--curl - reads standard input', async () => {
    const fromFile = await explain({ ...base, curl: CURL });
    const fromStdin = await explain({ ...base, curl: '-' }, readFileSync(CURL, 'utf8'));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.out).toBe(fromFile.out);
  });

  it('--har - reads standard input', async () => {
    const { code, out } = await explain(
      { ...base, har: '-' },
      JSON.stringify({ log: { entries: [harEntry()] } }),
    );
    expect(code).toBe(0);
    expect(out).toMatch(/^403 GET https:\/\/a1b2c3d4e5/);
  });

  it.each([
    ['a null entry', { log: { entries: [null] } }, 'log.entries[0] expected object, received null'],
    ['no entries', { entries: [] }, 'log expected object, received undefined'],
    [
      'a malformed URL',
      {
        log: {
          entries: [harEntry(), harEntry({ request: { method: 'GET', url: 'ht tp://x y', headers: [] } })],
        },
      },
      'log.entries[1].request.url is not a URL',
    ],
    [
      'a header without a value',
      {
        log: {
          entries: [
            harEntry({ request: { method: 'GET', url: 'https://x.example/', headers: [{ name: 'a' }] } }),
          ],
        },
      },
      'log.entries[0].request.headers[0].value expected string, received undefined',
    ],
  ])('a HAR with %s is a one-line usage error naming the file', async (_what, har, message) => {
    const path = file('bad.har', JSON.stringify(har));
    const { code, out, err } = await explain({ ...base, har: path });
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(`apigw403 explain: ${path}: not a HAR file: ${message}\n`);
  });

  it('a HAR that is not JSON never echoes its bytes', async () => {
    const path = file('garbage.har', Buffer.from('garbage \u001b[31m AKIAIOSFODNN7EXAMPLE \u0000\u00ff'));
    const { code, err } = await explain({ ...base, har: path });
    expect(code).toBe(2);
    expect(err).toBe(`apigw403 explain: ${path}: not a HAR file: not JSON\n`);
    expect(() => parseHar('{"log":{"entries":[null]}}')).toThrow('log.entries[0]');
  });

  it.each([
    [{ url: 'ht tp://x' }, '--url ht tp://x: not a URL (expected https://host/path)'],
    [{ curl: join(dir, 'missing.txt') }, `${join(dir, 'missing.txt')}: cannot read (ENOENT)`],
    [{ curl: dir }, `${dir}: cannot read (EISDIR)`],
    [{ har: join(dir, 'missing.har') }, `${join(dir, 'missing.har')}: cannot read (ENOENT)`],
    [{ curl: 'x', har: 'y' }, 'give exactly one of --curl FILE, --har FILE, or --url/--error-type/--message'],
    [{ url: 'https://x.example/', status: 'abc' }, '--status abc: not an HTTP status'],
    [{ url: 'https://x.example/', header: ['no colon'] }, '--header "no colon": expected "Name: value"'],
    [
      { url: 'https://x.example/', since: 'soon' },
      '--since soon: expected a number and a unit (s, m, h, d), e.g. 24h',
    ],
  ])('%o is a one-line usage error (exit 2)', async (options, message) => {
    const { code, out, err } = await explain({ ...base, ...options });
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toBe(`apigw403 explain: ${message}\n`);
  });

  it('a curl capture without an exchange, and one whose host is unreadable', async () => {
    const empty = file('empty.txt', 'nothing here\n');
    expect(await explain({ ...base, curl: empty })).toMatchObject({
      code: 2,
      err: `apigw403 explain: ${empty}: no "> request" and "< HTTP/..." lines (was it made with curl -v?)\n`,
    });
    const badHost = file(
      'bad-host.txt',
      '> GET /prod HTTP/1.1\n> Host: bad host\n>\n< HTTP/1.1 403 Forbidden\n<\n',
    );
    expect(await explain({ ...base, curl: badHost })).toMatchObject({
      code: 2,
      err: `apigw403 explain: ${badHost}: the request's URL cannot be read (check the Host header and request line)\n`,
    });
  });

  it('says nothing about access-log formats when no log was read', async () => {
    const { code, out } = await explain({ ...base, url: 'https://api.example.com/orders' });
    expect(code).toBe(0);
    expect(out).toMatch(/^UNCLASSIFIED/m);
    expect(out).not.toMatch(/access-log format|access log format/i);
    expect(out).toContain('The answer alone does not say which check refused the request.');
  });
});

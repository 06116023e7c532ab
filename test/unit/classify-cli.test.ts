import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runClassify } from '../../cli/commands/classify.js';
import {
  A1,
  A1_TAIL,
  A2,
  accessLine,
  DEFAULT_REST_CLF,
  documentOf,
  E4,
  E5,
  EXECUTION_GROUP,
  MESSAGES,
  withRequestId,
} from '../fixtures/evidence.js';
import { CONTROL_MESSAGE, envelope } from '../fixtures/payloads.js';
import { plainTempDir } from '../fixtures/temp-dir.js';
import { WS_API, WS_MESSAGES, webSocketLine } from '../fixtures/websocket-lines.js';

const dir = plainTempDir('apigw403-classify-');
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

async function run(
  files: string[],
  options: { output?: 'jsonl' | 'table'; logGroup?: string; stdin?: string } = {},
) {
  let stdout = '';
  let stderr = '';
  const code = await runClassify(
    files,
    { output: options.output ?? 'jsonl', ...(options.logGroup ? { logGroup: options.logGroup } : {}) },
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      readStdin: async () => options.stdin ?? '',
    },
  );
  const lines = stdout.trim() === '' ? [] : stdout.trim().split('\n');
  return { code, stdout, stderr, lines };
}

describe('apigw403 classify', () => {
  const requestId = 'c0ffee00-1111-4222-8333-444455556666';
  const accessPayload = file(
    'access.json',
    JSON.stringify(
      envelope(
        documentOf('/aws/apigw/access', [
          accessLine({
            requestId,
            error: { message: MESSAGES.forbidden, responseType: 'INVALID_API_KEY' },
            identity: { apiKeyId: 'k9v8w7x6y5' },
          }),
          A2,
        ]),
      ),
    ),
  );
  const executionDocument = file(
    'execution.json',
    JSON.stringify(documentOf(EXECUTION_GROUP, withRequestId(requestId, [E4, E5]))),
  );

  it('joins findings of all files by request id and prints one JSON object per 403', async () => {
    const { code, lines, stderr } = await run([accessPayload, executionDocument]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const findings = lines.map((line) => JSON.parse(line));
    expect(findings).toHaveLength(2);
    const joined = findings.find((finding) => finding.requestId === requestId);
    expect(joined).toMatchObject({
      category: 'INVALID_API_KEY',
      reason: 'stage-not-in-usage-plan',
      confidence: 'high',
      status: 403,
      apiId: 'a1b2c3d4e5',
      stage: 'prod',
      sources: ['access', 'execution'],
    });
    expect(findings.find((finding) => finding.category === 'INTEGRATION_403')).toBeDefined();
    expect(lines.join('\n')).not.toContain('k9v8w7x6y5');
  });

  it('reads plain exported lines, `aws logs tail` prefixes and standard input', async () => {
    const { code, lines } = await run(['-', file('tail.log', `${A1_TAIL}\n\n${DEFAULT_REST_CLF}\n`)], {
      stdin: `${A1.replace('eed63f63', 'aaaaaaaa')}\n`,
    });
    expect(code).toBe(0);
    expect(lines.map((line) => JSON.parse(line).category)).toEqual([
      'WAF_FILTERED',
      'WAF_FILTERED',
      'UNCLASSIFIED',
    ]);
  });

  it('classifies WebSocket access lines with the same classifier (documented line shapes)', async () => {
    const { code, lines } = await run([
      file(
        'websocket.log',
        [
          webSocketLine({ requestId: 'ws-1', 'error.message': MESSAGES.explicitDeny }),
          webSocketLine({ requestId: 'ws-2', 'error.message': WS_MESSAGES.iamExplicitDeny }),
          webSocketLine({ requestId: 'ws-3', 'error.message': MESSAGES.signatureMismatch }),
          webSocketLine({ requestId: 'ws-4', status: '200' }),
        ].join('\n'),
      ),
    ]);
    expect(code).toBe(0);
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      {
        requestId: 'ws-1',
        category: 'WEBSOCKET_CONNECT_AUTHORIZER_DENY',
        apiId: WS_API,
        resourcePath: '$connect',
      },
      { requestId: 'ws-2', category: 'WEBSOCKET_CONNECT_IAM_DENY', confidence: 'high' },
      { requestId: 'ws-3', category: 'SIGNATURE_MISMATCH' },
    ]);
    for (const line of lines) expect(JSON.parse(line).signals).toContain('websocket-api');
  });

  it('takes execution lines from a file when --log-group names the execution group', async () => {
    const { lines } = await run([file('exec.log', withRequestId(requestId, [E4, E5]).join('\n'))], {
      logGroup: EXECUTION_GROUP,
    });
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { category: 'INVALID_API_KEY', apiId: 'a1b2c3d4e5', stage: 'prod' },
    ]);
  });

  it('prints nothing for other requests and skips CONTROL_MESSAGE', async () => {
    const { code, lines } = await run([
      file('control.json', JSON.stringify(envelope(CONTROL_MESSAGE))),
      file('ok.log', accessLine({ status: '200' })),
    ]);
    expect(code).toBe(0);
    expect(lines).toEqual([]);
  });

  it('exits 1 when a payload cannot be decoded, one stderr line per bad input, the rest processed in full', async () => {
    const good = JSON.stringify(envelope(documentOf('/aws/apigw/access', [A1])));
    const ndjson = file('many.ndjson', `${good}\n{"awslogs":{"data":"@@@"}}\n${good}\n`);
    const broken = file('broken.json', '{"awslogs":{"data":"H4sIAAAAAAAA"}}');
    const { code, lines, stderr } = await run([ndjson, broken]);
    expect(code).toBe(1);
    // The same payload twice is one delivery, counted once.
    expect(lines).toHaveLength(1);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/many\.ndjson:2: awslogs\.data is not valid base64$/),
      expect.stringMatching(/broken\.json:1: gzip stream is corrupt or truncated/),
      expect.stringMatching(/many\.ndjson: 1 already read \(counted once\)$/),
    ]);
  });

  it('exits 2 for an unreadable file and still processes the others', async () => {
    const { code, lines, stderr } = await run([join(dir, 'missing.json'), file('a1.log', A1)]);
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(stderr).toMatch(/missing\.json: cannot read \(ENOENT\)/);
  });

  it('prints the per-category summary table', async () => {
    const { stdout } = await run([file('mix.log', [A1, A1.replace('eed63f63', 'aaaaaaaa'), A2].join('\n'))], {
      output: 'table',
    });
    expect(stdout).toMatch(/^CATEGORY\s+COUNT\s+SHARE/);
    expect(stdout).toMatch(/WAF_FILTERED\s+2\s+66\.7%\s+100\.0%\s+4lltecsznk\/prod \(2\)/);
    expect(stdout).toMatch(/INTEGRATION_403\s+1\s+33\.3%/);
    expect(stdout).toMatch(/TOTAL\s+3\s+100\.0%/);
  });

  // Redaction read the table's own text as keys and values (`INVALID_API_KEY  1` lost its count):
  // only the API/stage cell came from a log.
  it('redacts only what came from a log in the table', async () => {
    const keyed = file(
      'keyed.log',
      [
        accessLine({ error: { message: MESSAGES.forbidden, responseType: 'INVALID_API_KEY' } }),
        accessLine({
          stage: 'password=abc123Secret\u001b[31m',
          error: { message: MESSAGES.invalidToken, responseType: 'UNAUTHORIZED' },
        }),
      ].join('\n'),
    );
    const { stdout } = await run([keyed], { output: 'table' });
    expect(stdout).toMatch(/INVALID_API_KEY\s+1\s+50\.0%/);
    expect(stdout).toMatch(/INVALID_SECURITY_TOKEN\s+1\s+50\.0%/);
    expect(stdout).not.toContain('abc123Secret');
    expect(stdout).not.toContain('\u001b');
  });
});

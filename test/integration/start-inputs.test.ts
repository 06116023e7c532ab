import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deriveStages,
  prepareInputs,
  reportPathProblem,
  watchedStagesFromConfig,
} from '../../cli/scenario/inputs.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { executionLogGroupName } from '../../lambda/core/index.js';
import { wafAccessLine } from '../fixtures/monitor-peers.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

/** `npm start -- --input FILE... [--config FILE]`: every input checked before the run, one line each. */

let dir: string;
const file = (name: string) => join(dir, name);
const accessDocument = (apiId: string, stage: string, requestId: string) =>
  logsDocument(`/aws/apigateway/${apiId}/${stage}`, [
    { timestamp: Date.now(), message: wafAccessLine(apiId, stage, requestId) },
  ]);

beforeAll(async () => {
  dir = plainTempDir('apigw403-start-');
  await writeFile(
    file('event.json'),
    JSON.stringify(subscriptionEvent(accessDocument('a1b2c3d4e5', 'prod', 'r-1'))),
  );
  await writeFile(
    file('events.jsonl'),
    [accessDocument('k3l4m5n6o7', 'dev', 'r-2'), accessDocument('k3l4m5n6o7', 'dev', 'r-3')]
      .map((document) => JSON.stringify(subscriptionEvent(document)))
      .join('\n'),
  );
  await writeFile(file('garbage.bin'), Buffer.from([0, 1, 2, 3, 255, 254, 0, 0, 1, 7]));
  await writeFile(file('notes.txt'), 'hello\nnot a log line\n');
  await writeFile(
    file('cdk.json'),
    JSON.stringify({
      app: 'x',
      context: {
        apigw403: {
          alertEmails: ['ops@example.com'],
          apis: [
            {
              restApiId: 'a1b2c3d4e5',
              stage: 'prod',
              accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod',
              executionLogs: true,
            },
          ],
        },
      },
    }),
  );
  await writeFile(
    file('context.json'),
    JSON.stringify({
      alertEmails: ['ops@example.com'],
      apis: [
        { httpApiId: 'f6g7h8i9j0', stage: '$default', accessLogGroup: '/aws/apigateway/f6g7h8i9j0/default' },
      ],
    }),
  );
  await writeFile(
    file('bad-context.json'),
    JSON.stringify({ apis: [{ restApiId: 'NOT-AN-ID', stage: 'prod' }], alertEmails: ['ops@example.com'] }),
  );
  await mkdir(file('a-directory'));
});

describe('npm start --input: what can be read runs, the rest is one line each', () => {
  it('reads a subscription event and a JSON-lines file of them; refuses missing, directory, garbage, text', async () => {
    const inputs = await prepareInputs(
      ['event.json', 'events.jsonl', 'missing.json', 'a-directory', 'garbage.bin', 'notes.txt'].map(file),
    );
    expect(inputs.deliveries.map((delivery) => delivery.label)).toEqual([
      file('event.json'),
      `${file('events.jsonl')} #1`,
      `${file('events.jsonl')} #2`,
    ]);
    expect(inputs.problems).toEqual([
      `${file('missing.json')}: no such file`,
      `${file('a-directory')}: is a directory (give the files in it)`,
      expect.stringMatching(
        /garbage\.bin: 0 of \d+ lines are API Gateway log lines or subscription events \(looks like: /,
      ),
      `${file('notes.txt')}: 0 of 2 lines are API Gateway log lines or subscription events`,
    ]);
    expect(inputs.deliveries.every((delivery) => 'awslogs' in (delivery.event as object))).toBe(true);
    // Without --config, the inputs' groups are the watched stages.
    expect(inputs.watchedStages).toEqual([
      {
        apiId: 'a1b2c3d4e5',
        stage: 'prod',
        accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod',
        executionLogs: false,
      },
      {
        apiId: 'k3l4m5n6o7',
        stage: 'dev',
        accessLogGroup: '/aws/apigateway/k3l4m5n6o7/dev',
        executionLogs: false,
      },
    ]);
  });

  it('derives a stage with both logs as deployed: the access log counts, the execution lines are evidence', () => {
    const execution = logsDocument(executionLogGroupName('a1b2c3d4e5', 'prod'), [
      { timestamp: 1, message: '(r-1) Method completed with status: 403' },
    ]);
    const only = logsDocument(executionLogGroupName('x9y8z7w6v5', 'v1'), [
      { timestamp: 1, message: '(r-9) Method completed with status: 403' },
    ]);
    expect(deriveStages([execution, accessDocument('a1b2c3d4e5', 'prod', 'r-1'), only])).toEqual([
      {
        apiId: 'a1b2c3d4e5',
        stage: 'prod',
        accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod',
        executionLogs: true,
      },
      { apiId: 'x9y8z7w6v5', stage: 'v1', executionLogs: true },
    ]);
  });

  it('--config reads a cdk.json or the apigw403 context object; a bad one is one line', async () => {
    expect(await watchedStagesFromConfig(file('cdk.json'))).toEqual([
      {
        apiId: 'a1b2c3d4e5',
        stage: 'prod',
        accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod',
        executionLogs: true,
      },
    ]);
    expect(await watchedStagesFromConfig(file('context.json'))).toEqual([
      {
        apiId: 'f6g7h8i9j0',
        stage: '$default',
        accessLogGroup: '/aws/apigateway/f6g7h8i9j0/default',
        executionLogs: false,
      },
    ]);
    for (const [name, message] of [
      ['bad-context.json', /^--config .*bad-context\.json: .*NOT-AN-ID/],
      ['notes.txt', /^--config .*notes\.txt: not JSON/],
      ['missing.json', /^--config .*missing\.json: no such file$/],
      ['events.jsonl', /: not JSON/],
      ['event.json', /neither a cdk\.json with context\.apigw403 nor an apigw403 context object/],
    ] as const) {
      const error = await watchedStagesFromConfig(file(name)).catch((caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('--report: a directory or a path whose folder does not exist cannot be written', async () => {
    expect(await reportPathProblem(file('report.json'))).toBeUndefined();
    expect(await reportPathProblem(file('a-directory'))).toMatch(/is a directory$/);
    expect(await reportPathProblem(file('no/such/dir/report.json'))).toMatch(/cannot be written \(ENOENT\)$/);
  });

  const start = (args: readonly string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/start.ts', ...args], {
      timeout: 60_000,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });

  it('runs every readable payload through the real handler, reports the others, and exits 1', async () => {
    const run = start([
      '--input',
      file('event.json'),
      file('missing.json'),
      file('events.jsonl'),
      '--report',
      file('report.json'),
    ]);
    const failure = await run.then(
      () => undefined,
      (error: unknown) => error as { code: number; stdout: string; stderr: string },
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toBe(`npm start: ${file('missing.json')}: no such file\n`);
    expect(failure?.stdout).toContain(
      'Watched stages derived from the inputs (give --config cdk.json to use your own)',
    );
    const report = JSON.parse(await readFile(file('report.json'), 'utf8')) as {
      alerts: { apiId: string; category: string }[];
    };
    expect(report.alerts.map((alert) => `${alert.apiId} ${alert.category}`).sort()).toEqual([
      'a1b2c3d4e5 WAF_FILTERED',
      'k3l4m5n6o7 WAF_FILTERED',
    ]);
  });

  it('an unwritable --report stops before the run with exit 2', async () => {
    const failure = await start(['--input', file('event.json'), '--report', file('no/such/dir/r.json')]).then(
      () => undefined,
      (error: unknown) => error as { code: number; stdout: string; stderr: string },
    );
    expect(failure).toMatchObject({ code: 2, stdout: '' });
    expect(failure?.stderr).toMatch(/^npm start: --report .*r\.json: cannot be written \(ENOENT\)\n$/);
  });
});

/**
 * `classify --log-group /aws/apigateway/{api}/default`: the name this project and the console give an
 * HTTP API's `$default` stage (no `$` in a log group name), which a REST stage really named `default`
 * shares. A line that names no stage takes it from the group: `$default` for a line in an HTTP API shape
 * (a route key where REST logs a resource path), `default` for a REST one (attack finding 23: every
 * line became `default`, a stage `triage` then could not find).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runClassify } from '../../cli/commands/classify.js';
import { captureIo } from '../../cli/peers/aws-env.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

const dir = plainTempDir('apigw403-default-stage-');
const API = 'f6g7h8i9j0';
const TIME = '01/Dec/2026:17:23:04 +0000';

async function stageOf(line: string, logGroup: string): Promise<unknown> {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(path, `${line}\n`);
  const io = captureIo();
  const code = await runClassify([path], { output: 'jsonl', logGroup }, io);
  expect({ code, err: io.err() }).toEqual({ code: 0, err: '' });
  const [finding] = io
    .out()
    .trim()
    .split('\n')
    .map((text) => JSON.parse(text) as { apiId: string; stage: string });
  expect(finding?.apiId).toBe(API);
  return finding?.stage;
}

const DEFAULT_GROUP = `/aws/apigateway/${API}/default`;

describe('classify: the stage of a line from the group /aws/apigateway/{api}/default', () => {
  it.each([
    {
      name: "HTTP API's default CLF (method and route key)",
      line: `203.0.113.7 - - [${TIME}] "GET GET /items HTTP/1.1" 403 23 Mc7UVioPPHcEKPA=`,
      stage: '$default',
    },
    {
      name: 'HTTP API CLF, the $default route',
      line: `203.0.113.7 - - [${TIME}] "GET $default HTTP/1.1" 403 23 Mc7UVioPPHcEKPA=`,
      stage: '$default',
    },
    {
      name: 'HTTP API JSON with a routeKey and no stage',
      line: JSON.stringify({ requestId: 'Mc7UVioPPHcEKPA=', routeKey: 'GET /items', status: '403' }),
      stage: '$default',
    },
    {
      name: "REST API's default CLF (resource path)",
      line: `203.0.113.7 - - [${TIME}] "GET /items HTTP/1.1" 403 23 f6b7c1c0-0000-4000-8000-000000000000`,
      stage: 'default',
    },
    {
      name: 'REST JSON with a resourcePath and no stage',
      line: JSON.stringify({
        requestId: 'f6b7c1c0-0000-4000-8000-000000000001',
        resourcePath: '/items',
        status: '403',
      }),
      stage: 'default',
    },
  ])('$name: $stage', async ({ line, stage }) => {
    expect(await stageOf(line, DEFAULT_GROUP)).toBe(stage);
  });

  it('a line that names its stage keeps it, and another group keeps its stage name', async () => {
    const named = JSON.stringify({ requestId: 'r-1', routeKey: 'GET /items', stage: 'beta', status: '403' });
    expect(await stageOf(named, DEFAULT_GROUP)).toBe('beta');
    const clf = `203.0.113.7 - - [${TIME}] "GET GET /items HTTP/1.1" 403 23 Mc7UVioPPHcEKPA=`;
    expect(await stageOf(clf, `/aws/apigateway/${API}/prod`)).toBe('prod');
  });
});

/**
 * `--config` files as Windows editors save them: UTF-8 with a byte order mark (Notepad, `Out-File
 * -Encoding utf8`), UTF-16 LE with one (Windows PowerShell's `>`), UTF-16 BE. Each reads as the plain
 * UTF-8 file does, for `npm start --config` and `apigw403 doctor --config` alike.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyFromConfigFile } from '../../cli/commands/doctor-policy.js';
import { watchedStagesFromConfig } from '../../cli/scenario/inputs.js';
import { plainTempDir } from '../fixtures/temp-dir.js';

const dir = plainTempDir('apigw403-config-encodings-');
const CDK_JSON = `${JSON.stringify(
  {
    app: 'npx tsx bin/app.ts',
    context: {
      apigw403: {
        apis: [{ restApiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod' }],
        alertEmails: ['ops@example.com'],
        noisePolicy: { action: 'digest', digest: false },
      },
    },
  },
  null,
  2,
)}\r\n`;

const utf16be = (text: string): Buffer => Buffer.from(text, 'utf16le').swap16();
const ENCODINGS: readonly (readonly [string, Buffer])[] = [
  ['UTF-8', Buffer.from(CDK_JSON)],
  ['UTF-8 with a byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CDK_JSON)])],
  [
    'UTF-16 LE with a byte order mark',
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CDK_JSON, 'utf16le')]),
  ],
  ['UTF-16 BE with a byte order mark', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(CDK_JSON)])],
];

describe('--config files in the encodings editors write', () => {
  it.each(ENCODINGS)('%s: npm start reads the same stages', async (name, bytes) => {
    const path = join(dir, `${name.replaceAll(' ', '-')}.start.json`);
    writeFileSync(path, bytes);
    expect(await watchedStagesFromConfig(path)).toEqual([
      {
        apiId: 'a1b2c3d4e5',
        stage: 'prod',
        accessLogGroup: '/aws/apigateway/a1b2c3d4e5/prod',
        executionLogs: false,
      },
    ]);
  });

  it.each(ENCODINGS)('%s: doctor reads the same noise policy', async (name, bytes) => {
    const path = join(dir, `${name.replaceAll(' ', '-')}.doctor.json`);
    writeFileSync(path, bytes);
    const read = await policyFromConfigFile(path);
    expect(read.ok).toBe(true);
    expect(read.ok && [read.policy.defaults.action, read.policy.digest.enabled]).toEqual(['digest', false]);
  });
});

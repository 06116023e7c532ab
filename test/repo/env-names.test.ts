import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FORWARDER_ENV, MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { type EnvNameLiteral, findEnvNameLiterals } from './env-names.js';
import { repositoryFiles } from './outside-references.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NAMES = [...new Set([...Object.values(MONITOR_ENV), ...Object.values(FORWARDER_ENV)])];
/** Where each name is defined: the contract, and the two it takes from the schema-free modules that own them. */
const DEFINITIONS = new Set([
  'lambda/core/monitor-contract.ts',
  'lambda/core/noise-policy-names.ts',
  'lambda/core/kinesis-records.ts',
]);

const show = (found: readonly EnvNameLiteral[]) =>
  found.map((hit) => `${hit.file}:${hit.line}: ${hit.name}: ${hit.text}`).join('\n');

describe('one definition of the environment variable names', () => {
  it('no TypeScript file outside the contract writes a name as text', () => {
    const files = repositoryFiles(ROOT).filter(
      (file) =>
        /\.(?:c|m)?tsx?$/.test(file) &&
        !DEFINITIONS.has(file) &&
        !file.startsWith('test/package/consumer-app/'),
    );
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((file) =>
      findEnvNameLiterals(file, readFileSync(join(ROOT, file), 'utf8'), NAMES),
    );
    expect(found, show(found)).toEqual([]);
  });

  it('the cooldown-only names are retired: no TypeScript file, the contract included, writes them', () => {
    const retired = ['COOLDOWN_MINUTES', 'MIN_ALERT_COUNT'];
    expect(NAMES.filter((name) => retired.includes(name))).toEqual([]);
    const found = repositoryFiles(ROOT)
      .filter((file) => /\.(?:c|m)?tsx?$/.test(file) && file !== 'test/repo/env-names.test.ts')
      .flatMap((file) => findEnvNameLiterals(file, readFileSync(join(ROOT, file), 'utf8'), retired));
    expect(found, show(found)).toEqual([]);
  });

  it('documents every name in docs/contracts.md', () => {
    const contracts = readFileSync(join(ROOT, 'docs/contracts.md'), 'utf8');
    expect(NAMES.filter((name) => !contracts.includes(`\`${name}\``))).toEqual([]);
  });
});

describe('findEnvNameLiterals', () => {
  const hits = (text: string) => findEnvNameLiterals('a.ts', text, ['SOME_VAR']).map((hit) => hit.line);

  it.each([
    ["env['SOME_VAR']"],
    ['const env = { SOME_VAR: arn };'],
    ["const env = { 'SOME_VAR': arn };"],
    ['process.env.SOME_VAR'],
    [`const text = \`uses \${x} SOME_VAR\`;`],
    ["it('fails without SOME_VAR', () => {});"],
    ['const SOME_VAR = 1; const env = { SOME_VAR };'],
    ['interface Env { SOME_VAR: string }'],
  ])('finds %s', (text) => {
    expect(hits(text)).toEqual([1]);
  });

  it.each([
    ['// SOME_VAR is required'],
    ['/** `SOME_VAR`: the topic */ const x = 1;'],
    ['expect(message).toMatch(/SOME_VAR is required/);'],
    ['const WATCHED = 1; const SOME_VAR_X = "SOME_VARS";'],
    ['env[CONTRACT.someVar]'],
  ])('leaves %s', (text) => {
    expect(hits(text)).toEqual([]);
  });
});

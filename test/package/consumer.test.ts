/**
 * The construct from someone else's app: `npm pack` the repository, install the tarball into a fresh
 * CDK app in a temporary directory with nothing beside it, type-check the app against the shipped
 * declarations and `cdk synth` it with the CDK CLI. Offline: the package's dependencies are linked
 * from this repository's node_modules, so npm resolves nothing from a registry.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONITOR_ENV } from '../../lambda/core/monitor-contract.js';
import { BUNDLE_FILE, LAMBDA_ENTRIES, LAMBDA_NODE_MAJOR } from '../../lib/lambda-bundle.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAMBDA_NODE = join(ROOT, `node_modules/node${LAMBDA_NODE_MAJOR}/bin/node`);
/** The package's public names (lib/index.ts): a change here is a change of its API. */
const EXPORTS = [
  'AccessLogFormatCheck',
  'Apigw403Monitor',
  'Apigw403MonitorStack',
  'CATEGORIES',
  'CLIENT_ONLY_CATEGORIES',
  'CONTEXT_KEY',
  'DEFAULT_ALARM_PERIOD',
  'DEFAULT_LOG_RETENTION',
  'DEFAULT_MAX_EVENT_AGE',
  'DEFAULT_MEMORY_SIZE_MB',
  'DEFAULT_METRIC_NAMESPACE',
  'DEFAULT_RESERVED_CONCURRENCY',
  'DEFAULT_RETRY_ATTEMPTS',
  'DEFAULT_TIMEOUT',
  'FORBIDDEN_METRIC_NAME',
  'LAMBDA_RUNTIME',
  'analyzeAccessLogFormat',
  'applyNagSuppressions',
  'applyRecommendedAccessLogFormat',
  'parseConfig',
  'recommendedAccessLogFormat',
  'recommendedRestAccessLogFormat',
];
const require = createRequire(import.meta.url);
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

interface PackResult {
  readonly filename: string;
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

interface Template {
  readonly Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

const run = (command: string, args: readonly string[], cwd: string) =>
  execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', npm_config_update_notifier: 'false' },
  });

let work: string;
let app: string;
let packed: PackResult;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'apigw403-consumer-'));
  app = join(work, 'app');
  const [result] = JSON.parse(
    run('npm', ['pack', '--json', '--pack-destination', work], ROOT),
  ) as PackResult[];
  if (!result) throw new Error('npm pack printed no result');
  packed = result;
  cpSync(join(ROOT, 'test/package/consumer-app'), app, { recursive: true });
  const linked = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'consumer-app',
      private: true,
      type: 'module',
      dependencies: {
        [manifest.name]: `file:../${packed.filename}`,
        ...Object.fromEntries(linked.map((name) => [name, `file:${join(ROOT, 'node_modules', name)}`])),
      },
    }),
  );
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('ships the compiled construct, its declarations and the prebuilt bundles, and no sources or tests', () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        ...Object.keys(LAMBDA_ENTRIES).map((name) => `dist/assets/${name}/${BUNDLE_FILE}`),
      ]),
    );
    const unexpected = paths.filter(
      (path) =>
        !/^dist\/(lib|lambda)\/.+\.(js|d\.ts|js\.map)$/.test(path) &&
        !/^dist\/assets\/[\w-]+\/index\.mjs(\.map)?$/.test(path) &&
        !['package.json', 'README.md', 'LICENSE', 'cli/bin.js'].includes(path),
    );
    expect(unexpected).toEqual([]);
    expect(paths.filter((path) => /\.test\.|(^|\/)test\//.test(path))).toEqual([]);
  });

  it("type-checks someone else's app against the shipped declarations", () => {
    const tsc = require.resolve('typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: app, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 120_000);

  it('synthesizes that app with the CDK CLI, cdk-nag clean, deploying the shipped bundles', () => {
    const cdk = join(ROOT, 'node_modules/aws-cdk/bin/cdk');
    run(process.execPath, [cdk, 'synth', '--app', 'node app.js', '--no-notices', '-o', 'cdk.out', '-q'], app);
    const template = JSON.parse(
      readFileSync(join(app, 'cdk.out/ConsumerApi.template.json'), 'utf8'),
    ) as Template;
    const monitor = Object.values(template.Resources).filter(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' &&
        JSON.stringify(resource.Properties.Environment ?? {}).includes(MONITOR_ENV.watchedStages),
    );
    expect(monitor.map((fn) => [fn.Properties.Runtime, fn.Properties.Handler])).toEqual([
      [`nodejs${LAMBDA_NODE_MAJOR}.x`, 'index.handler'],
    ]);
    const filters = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Logs::SubscriptionFilter',
    );
    // The stage has an access log, so its execution lines come from the evidence lookup: one filter.
    expect(filters.map((filter) => JSON.stringify(filter.Properties.LogGroupName))).toEqual([
      expect.not.stringContaining('API-Gateway-Execution-Logs_'),
    ]);

    const shipped = readFileSync(
      join(app, 'node_modules', manifest.name, `dist/assets/monitor/${BUNDLE_FILE}`),
      'utf8',
    );
    const deployed = readdirSync(join(app, 'cdk.out'))
      .filter((entry) => entry.startsWith('asset.'))
      .map((entry) => {
        try {
          return readFileSync(join(app, 'cdk.out', entry, BUNDLE_FILE), 'utf8');
        } catch {
          return undefined;
        }
      });
    expect(deployed).toContain(shipped);
  }, 180_000);

  it('exports the public names only, by name, from the installed package', () => {
    const script =
      "const m = await import('apigw-403-monitor'); console.log(JSON.stringify(Object.keys(m).sort()))";
    const names = JSON.parse(run(process.execPath, ['--input-type=module', '-e', script], app)) as string[];
    expect(names).toEqual([...EXPORTS].sort());
  }, 60_000);

  it('can be required from a CommonJS app (require of an ES module, Node.js 20.19+ / 22.12+)', () => {
    const script = "console.log(typeof require('apigw-403-monitor').Apigw403Monitor)";
    expect(run(process.execPath, ['--no-warnings', '-e', script], app).trim()).toBe('function');
  }, 60_000);

  it.skipIf(!existsSync(LAMBDA_NODE))(
    'ships bundles that load on the Lambda Node.js and export `handler`',
    () => {
      for (const name of Object.keys(LAMBDA_ENTRIES)) {
        const bundle = join(app, 'node_modules', manifest.name, `dist/assets/${name}/${BUNDLE_FILE}`);
        const script = `const m = await import(${JSON.stringify(bundle)}); console.log(process.versions.node.split('.')[0], typeof m.handler)`;
        expect(run(LAMBDA_NODE, ['--input-type=module', '-e', script], work).trim()).toBe(
          `${LAMBDA_NODE_MAJOR} function`,
        );
      }
    },
    60_000,
  );

  it('says in one line that the CLI runs from a checkout', () => {
    const result = spawnSync(join(app, 'node_modules/.bin/apigw403'), ['--help'], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^apigw403: .*checkout/)]);
  });
});

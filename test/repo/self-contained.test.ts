import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findBrokenMarkdownLinks,
  findOutsideReferences,
  type OutsideReference,
  scanRepository,
} from './outside-references.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The lockfile holds registry URLs only; this file holds the hostile samples below. */
const SKIP = new Set(['package-lock.json', 'test/repo/self-contained.test.ts']);

/**
 * The reference folder's name, in pieces: the hostile samples below name it, and no tracked file may
 * hold a path into it, even as a sample.
 */
const REF = ['sha', 'red'].join('');

const show = (found: readonly OutsideReference[]) =>
  found.map((ref) => `${ref.file}:${ref.line}: ${ref.why}: ${ref.text}`).join('\n');

describe('the repository stands alone', () => {
  it('no file reads or links a path outside the repository', () => {
    const found = scanRepository(ROOT, SKIP);
    expect(found, show(found)).toEqual([]);
  });
});

describe('findOutsideReferences', () => {
  const hits = (file: string, text: string) => findOutsideReferences('/repo', file, text).length;

  it.each([
    ['test/unit/a.test.ts', `readFileSync(new URL('../../../${REF}/spec/403-taxonomy.md', import.meta.url))`],
    ['README.md', `The contract is \`../${REF}/spec/403-taxonomy.md\`.`],
    ['README.md', `See ${REF}/reference/apigw-403-log-evidence.md.`],
    ['bench/a.ts', ` * from the line shapes of /work/${REF}/reference/evidence.md:`],
    ['bench/a.ts', "const out = '/root/.cache/x';"],
    ['docs/a.md', 'Clone into /home/alice/src first.'],
    ['docs/a.md', 'open file:///tmp/report.html'],
    ['package.json', '"dep": "file:../other-package"'],
    ['lib/a.ts', "fileURLToPath(new URL('../..', import.meta.url))"],
    ['docs/a.md', '[notes](../../notes.md)'],
    ['a.ts', "import x from '../x.js';"],
    ['scripts/a.ts', 'C:\\Users\\alice\\repo'],
  ])('flags %s: %s', (file, text) => {
    expect(hits(file, text)).toBeGreaterThan(0);
  });

  it.each([
    ['test/unit/a.test.ts', "readFileSync(new URL('../../docs/403-taxonomy.md', import.meta.url))"],
    ['lib/a.ts', "fileURLToPath(new URL('..', import.meta.url))"],
    ['docs/a.md', '[taxonomy](403-taxonomy.md) and [README](../README.md)'],
    ['README.md', 'likely causes (invalid API key, WAF block, …, mTLS, backend 403, ...)'],
    ['README.md', 'a shared access log group, shared by stages; shared/ nothing'],
    ['test/a.ts', "'https://example.com/home/page', resourcePath: '/home', path: '/prod/work/1'"],
    ['test/a.ts', "const dir = join(tmpdir(), 'x'); const range = 'a..b'; spread(...args)"],
    ['docs/a.md', '`arn:aws:execute-api:eu-west-1:123:a1b2/prod/GET/users/home/x`'],
    ['lib/a.ts', "import { x } from './x.js';"],
    ['lib/a.ts', '// a trace reads `at monitorConfig (file:///var/task/index.mjs:50:73750)`'],
  ])('leaves %s: %s', (file, text) => {
    expect(hits(file, text)).toBe(0);
  });

  it('reports the file and line', () => {
    expect(findOutsideReferences('/repo', 'bench/a.ts', 'one\nsee /work/x\n')).toEqual([
      { file: 'bench/a.ts', line: 2, text: 'see /work/x', why: 'an absolute path on one machine' },
    ]);
  });
});

describe('scanRepository', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outside-refs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a reference in a nested file and a Markdown link to a missing file, and skips binaries', () => {
    mkdirSync(join(dir, 'docs'));
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'docs', 'ok.md'), '[ok](../README.md)\n');
    writeFileSync(join(dir, 'README.md'), 'See [ok](docs/ok.md) and [gone](docs/gone.md).\n');
    writeFileSync(join(dir, 'docs', 'bad.ts'), `const spec = '../../${REF}/spec/x.md';\n`);
    writeFileSync(join(dir, 'image.bin'), Buffer.from([0, 47, 119, 111, 114, 107, 47]));
    writeFileSync(join(dir, 'node_modules', 'dep.js'), "require('/home/x/y')\n");
    const found = scanRepository(dir, new Set());
    expect(found.map((ref) => `${ref.file}:${ref.line} ${ref.why}`).sort()).toEqual([
      'README.md:1 link to docs/gone.md: no such file here',
      `docs/bad.ts:1 ../../${REF}/spec/x.md climbs above the repository root`,
      'docs/bad.ts:1 reference material outside the repository',
      'docs/bad.ts:1 reference material outside the repository',
    ]);
    expect(findBrokenMarkdownLinks(dir, 'README.md', '[x](https://example.com/a) [y](#anchor)')).toEqual([]);
  });
});

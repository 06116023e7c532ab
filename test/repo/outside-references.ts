/**
 * Finds text in the repository that reads or links a path outside it: the reference material that sits
 * beside a developer's checkout, a machine's absolute paths, `file:` URLs, and relative paths that climb
 * above the repository root. A clone has none of these, so any of them breaks `npm test` or a reader.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface OutsideReference {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly why: string;
}

const LITERAL_RULES: ReadonlyArray<{ readonly pattern: RegExp; readonly why: string }> = [
  { pattern: /\bshared\/(?:spec|reference)\b/, why: 'reference material outside the repository' },
  { pattern: /(?:^|[^\w.-])(?:\.\.\/)+shared\b/, why: 'reference material outside the repository' },
  {
    // A machine's home or work directory; `/home` inside a URL or an API path (`example.com/home/`) is
    // preceded by a word character and stays legitimate.
    pattern: /(?:^|[\s'"`(=:,[])\/(?:work|root|home|Users)\/[\w.@-]/,
    why: 'an absolute path on one machine',
  },
  // Except the Lambda's own code directory, which its stack traces name (`file:///var/task/index.mjs`).
  { pattern: /\bfile:\/\/(?!\/var\/task\/)/, why: 'a file: URL' },
  { pattern: /\b[A-Za-z]:\\(?:Users|work)\\/, why: 'an absolute path on one machine' },
];

/** `..` path tokens: `../x`, `'../..'`, `(../x.md)`, `file:../x`; prose such as `...` or `a..b` is no token. */
const PARENT_PATH = /(?<=^|[\s'"`(=:[])\.\.(?:\/[^\s'"`)\]>,;]*)?(?=$|[\s'"`)\]>,;])/g;
const MARKDOWN_LINK = /\]\(([^)\s]+)\)/g;

/** The references in one file's text; `file` is relative to `root`. */
export function findOutsideReferences(root: string, file: string, text: string): OutsideReference[] {
  const found: OutsideReference[] = [];
  const here = dirname(join(root, file));
  const escapes = (target: string) => {
    const rel = relative(root, resolve(here, target));
    return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  };
  text.split('\n').forEach((content, index) => {
    const report = (why: string) => found.push({ file, line: index + 1, text: content.trim(), why });
    for (const rule of LITERAL_RULES) if (rule.pattern.test(content)) report(rule.why);
    for (const match of content.matchAll(PARENT_PATH)) {
      if (escapes(match[0])) report(`${match[0]} climbs above the repository root`);
    }
  });
  return found;
}

/** Relative Markdown link targets that name no file of the repository (outside it, or missing). */
export function findBrokenMarkdownLinks(root: string, file: string, text: string): OutsideReference[] {
  const found: OutsideReference[] = [];
  text.split('\n').forEach((content, index) => {
    for (const match of content.matchAll(MARKDOWN_LINK)) {
      const target = (match[1] ?? '').split('#')[0] ?? '';
      if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const path = resolve(dirname(join(root, file)), target);
      const rel = relative(root, path);
      const inside = !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
      if (!inside || !exists(path)) {
        found.push({
          file,
          line: index + 1,
          text: content.trim(),
          why: `link to ${target}: no such file here`,
        });
      }
    }
  });
  return found;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

const NOT_SOURCE = new Set(['node_modules', '.git', 'cdk.out', 'dist', 'coverage', '.report']);

/**
 * The repository's files: git's tracked and not-ignored files in a clone, else (an unpacked archive)
 * every file outside the build and install directories.
 */
export function repositoryFiles(root: string): string[] {
  try {
    const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return listed.split('\0').filter((file) => file !== '' && exists(join(root, file)));
  } catch {
    const walk = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
        if (NOT_SOURCE.has(entry.name)) return [];
        const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
        return entry.isDirectory() ? walk(path) : [path];
      });
    return walk('');
  }
}

/** Every outside reference in the repository at `root`, except in the files `skip` names. */
export function scanRepository(root: string, skip: ReadonlySet<string>): OutsideReference[] {
  return repositoryFiles(root).flatMap((file) => {
    if (skip.has(file)) return [];
    const bytes = readFileSync(join(root, file));
    if (bytes.includes(0)) return [];
    const text = bytes.toString('utf8');
    return [
      ...findOutsideReferences(root, file, text),
      ...(file.endsWith('.md') ? findBrokenMarkdownLinks(root, file, text) : []),
    ];
  });
}

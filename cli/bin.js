#!/usr/bin/env node
// Runs the TypeScript CLI in a checkout without a build step (tsx is installed by `npm ci`).
const tsx = await import('tsx/esm/api').catch(() => undefined);
if (!tsx) {
  console.error(
    'apigw403: the CLI runs from a checkout of the repository after `npm ci` (tsx is missing here); the npm package ships only the CDK construct',
  );
  process.exit(1);
}
tsx.register();
const { runCli } = await import('./main.ts');
await runCli(process.argv.slice(2));

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerClassify } from './commands/classify.js';
import { registerDoctor } from './commands/doctor.js';
import { registerExplain } from './commands/explain.js';
import { registerReplay } from './commands/replay.js';
import { registerTriage } from './commands/triage.js';
import { installLastResort, lastResortLine } from './last-resort.js';

/** Exit codes shared by every subcommand. */
export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;

/** The package's version, read from the package.json beside `cli/` (a checkout or an installed package). */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export function buildProgram(): Command {
  const program = new Command('apigw403')
    .description('Tells you why Amazon API Gateway answered 403.')
    .version(VERSION, '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride();
  registerClassify(program);
  registerTriage(program);
  registerExplain(program);
  registerDoctor(program);
  registerReplay(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return process.exitCode === undefined ? EXIT_OK : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    process.stderr.write(lastResortLine(error));
    return EXIT_PROBLEM;
  }
}

/** The `apigw403` process: `main`, with what escapes it (a rejection, a closed pipe) ending in one line. */
export async function runCli(argv: readonly string[]): Promise<void> {
  installLastResort();
  process.exitCode = await main(argv);
}

// Also runnable as `tsx cli/main.ts ...`; `cli/bin.js` (the `apigw403` bin) calls `runCli` itself.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCli(process.argv.slice(2));
}

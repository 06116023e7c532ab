import { EXIT_OK, EXIT_PROBLEM, safeText } from './commands/command-io.js';

/** The longest an error's message may run in the one line it gets (a message can quote a whole input). */
const MAX_MESSAGE_CHARS = 300;

/**
 * The one line an error nothing else handled gets: its first line, redacted and terminal-safe, since a
 * message can quote the input (a log line, a key) that caused it. Never a stack trace.
 */
export function lastResortLine(error: unknown): string {
  const raw = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const first = safeText(raw.split('\n', 1)[0] ?? '').slice(0, MAX_MESSAGE_CHARS);
  return `apigw403: unexpected error (${first}); this is a bug, please report it with the command you ran\n`;
}

function isBrokenPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

/**
 * What the `apigw403` process does with what escaped every command: a reader that closed the pipe
 * (`apigw403 classify big.log | head -1`) ends the run quietly with exit 0, since it asked for no more;
 * any other error, thrown or rejected, is one line on stderr and exit 1.
 */
export function installLastResort(): void {
  process.stdout.on('error', (error) => {
    if (isBrokenPipe(error)) process.exit(EXIT_OK);
    fail(error);
  });
  // Nowhere is left to say anything when stderr itself is closed.
  process.stderr.on('error', () => process.exit(EXIT_PROBLEM));
  process.on('uncaughtException', (error) => {
    if (isBrokenPipe(error)) process.exit(EXIT_OK);
    fail(error);
  });
}

function fail(error: unknown): never {
  process.stderr.write(lastResortLine(error));
  process.exit(EXIT_PROBLEM);
}

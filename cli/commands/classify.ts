import { type Command, Option } from 'commander';
import { classifyDocuments } from '../../lambda/core/index.js';
import { renderSummaryTable } from '../format-table.js';
import { readInputs } from '../input.js';

export interface ClassifyCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin?: () => Promise<string>;
}

interface ClassifyOptions {
  readonly output: 'jsonl' | 'table';
  readonly logGroup?: string;
}

const processIo: ClassifyCommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * `apigw403 classify FILE...`: exit 0 when every input was read, 1 when some payload could not be
 * decoded (the rest still processed in full), 2 when a file could not be read.
 */
export async function runClassify(
  files: readonly string[],
  options: ClassifyOptions,
  io: ClassifyCommandIo = processIo,
): Promise<number> {
  const inputs = await readInputs(files, {
    ...(options.logGroup ? { logGroup: options.logGroup } : {}),
    ...(io.readStdin ? { readStdin: io.readStdin } : {}),
  });
  for (const line of [...inputs.unreadable, ...inputs.invalid]) io.stderr(`apigw403 classify: ${line}\n`);
  const { findings } = classifyDocuments(inputs.documents);
  if (options.output === 'table') io.stdout(renderSummaryTable(findings));
  else for (const finding of findings) io.stdout(`${JSON.stringify(finding)}\n`);
  if (inputs.unreadable.length > 0) return 2;
  return inputs.invalid.length > 0 ? 1 : 0;
}

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('Classify the 403s in exported logs or subscription payloads (FILE "-" is standard input).')
    .argument(
      '<files...>',
      'subscription events, decoded subscription documents, or log lines (one per line)',
    )
    .addOption(
      new Option('-o, --output <format>', 'jsonl: one finding per line; table: per-category summary')
        .choices(['jsonl', 'table'])
        .default('jsonl'),
    )
    .option(
      '--log-group <name>',
      'the log group plain-text lines came from (API-Gateway-Execution-Logs_{id}/{stage} for execution logs)',
    )
    .action(async (files: string[], options: ClassifyOptions) => {
      process.exitCode = await runClassify(files, options);
    });
}

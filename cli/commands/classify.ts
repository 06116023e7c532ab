import { type Command, Option } from 'commander';
import { classifyDocuments, type Finding } from '../../lambda/core/index.js';
import { SummaryTable } from '../format-table.js';
import { type FileReport, type StreamOptions, streamInputs } from '../input.js';
import { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, type SafeOutput, safeOutput } from './command-io.js';

export interface ClassifyCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin?: () => Promise<Buffer | string>;
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
 * `apigw403 classify FILE...`: exit 0 when every input was read and held API Gateway log lines; 1
 * when a payload could not be decoded or a file held no API Gateway log line (the rest still
 * processed in full); 2 when a file could not be read.
 */
export async function runClassify(
  files: readonly string[],
  options: ClassifyOptions,
  io: ClassifyCommandIo = processIo,
  limits: Pick<StreamOptions, 'batchChars' | 'maxValueChars' | 'segmentChars'> = {},
): Promise<number> {
  const output = safeOutput(io);
  const table = new SummaryTable();
  const seen = new Set<string>();
  // Each batch is classified as it is read, its findings printed (or counted) and let go.
  const inputs = await streamInputs(
    files,
    {
      ...limits,
      ...(options.logGroup ? { logGroup: options.logGroup } : {}),
      ...(io.readStdin ? { readStdin: io.readStdin } : {}),
    },
    (documents, resolveStage) => {
      const { findings } = classifyDocuments(documents, { resolveStage });
      for (const finding of findings) {
        if (!isFirst(seen, finding)) continue;
        if (options.output === 'table') table.add(finding);
        else output.json(finding);
      }
    },
  );
  for (const line of [...inputs.unreadable, ...inputs.invalid]) output.err(`apigw403 classify: ${line}\n`);
  let emptyFiles = 0;
  for (const file of inputs.files) {
    const note = fileNote(file);
    if (note) output.err(`apigw403 classify: ${note.text}\n`);
    if (note?.problem) emptyFiles += 1;
  }
  const logLines = inputs.files.reduce((sum, file) => sum + file.recognised - file.duplicates, 0);
  report(output, options.output, table, seen.size, logLines);
  if (inputs.unreadable.length > 0) return EXIT_USAGE;
  return inputs.invalid.length > 0 || emptyFiles > 0 ? EXIT_PROBLEM : EXIT_OK;
}

function report(
  output: SafeOutput,
  format: ClassifyOptions['output'],
  table: SummaryTable,
  findings: number,
  logLines: number,
): void {
  if (findings === 0) {
    if (logLines === 0) return;
    const text = `No 403 found in ${logLines} API Gateway log ${logLines === 1 ? 'line' : 'lines'}.\n`;
    if (format === 'table') output.out(text);
    else output.err(`apigw403 classify: ${text}`);
    return;
  }
  if (format === 'table') output.composed(table.render());
}

/** What to say about one file: nothing when every line was a log line. */
function fileNote(file: FileReport): { text: string; problem: boolean } | undefined {
  const unit = file.unit === 'events' ? 'events' : 'lines';
  const looksLike = file.hint ? ` (looks like: ${file.hint})` : '';
  if (file.total === 0) {
    if ((file.controlMessages > 0 || file.invalid > 0) && !file.hint) return undefined;
    return { text: `${file.source}: no log ${unit} in the file${looksLike}`, problem: true };
  }
  const nul = file.nulLines > 0 ? `, ${file.nulLines} of them holding a NUL byte` : '';
  if (file.recognised === 0) {
    return {
      text: `${file.source}: 0 of ${file.total} ${unit} are API Gateway log lines${looksLike}${nul}`,
      problem: true,
    };
  }
  const notes: string[] = [];
  const skipped = file.total - file.recognised;
  if (skipped > 0)
    notes.push(`${skipped} of ${file.total} ${unit} are not API Gateway log lines (skipped)${nul}`);
  if (file.duplicates > 0) notes.push(`${file.duplicates} already read (counted once)`);
  return notes.length > 0 ? { text: `${file.source}: ${notes.join('; ')}`, problem: false } : undefined;
}

/**
 * One finding per request and source set: an export given twice, or two overlapping exports, count
 * once. Only the key is kept, not the finding.
 */
function isFirst(seen: Set<string>, finding: Finding): boolean {
  const key = [finding.requestId, finding.apiId, finding.stage, finding.sources.join('+')].join('\u0000');
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('Classify the 403s in exported logs or subscription payloads (FILE "-" is standard input).')
    .argument(
      '<files...>',
      'exports in any shape the README lists (recognised by content); FILE=GROUP names the log group of a file that does not (an existing file whose name holds "=" is read as a file)',
    )
    .addOption(
      new Option('-o, --output <format>', 'jsonl: one finding per line; table: per-category summary')
        .choices(['jsonl', 'table'])
        .default('jsonl'),
    )
    .option(
      '--log-group <name>',
      'the log group of inputs that do not name theirs (text, CLI output): gives API id and stage',
    )
    .action(async (files: string[], options: ClassifyOptions) => {
      process.exitCode = await runClassify(files, options);
    });
}

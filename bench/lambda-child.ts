/**
 * Runs inside a fresh `node` process started with the deployed NODE_OPTIONS, standing in for the
 * Lambda runtime: imports one bundle and, depending on the mode, only times the import, invokes the
 * handler with an event file (the runtime parses the invocation JSON before calling the handler), or
 * provokes a configuration error to show its stack trace. Writes its result as JSON to a file,
 * because the handler itself writes logs and EMF to stdout.
 *
 *   node [flags] lambda-child.mjs import|invoke|stack <bundle.mjs> <result.json> [event.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export type ChildMode = 'import' | 'invoke' | 'stack';

export interface ChildResult {
  readonly mode: ChildMode;
  /** RSS before the bundle is imported: node itself. */
  readonly startRssMB: number;
  /** Wall-clock ms of the import. */
  readonly importMs: number;
  /** CPU ms (user + system) of the import: what a busy machine's other processes do not inflate. */
  readonly importCpuMs: number;
  readonly afterImportRssMB: number;
  readonly afterInvokeRssMB?: number;
  readonly invokeMs?: number;
  /** process.resourceUsage().maxRSS: the high-water mark of the whole process. */
  readonly peakRssMB: number;
  readonly summary?: unknown;
  readonly stack?: string;
}

const MB = 1024 * 1024;
const rssMB = (): number => Math.round((process.memoryUsage().rss / MB) * 10) / 10;

type Handler = (event: unknown) => Promise<unknown>;

async function main(): Promise<void> {
  const [mode, bundle, resultFile, eventFile] = process.argv.slice(2) as [ChildMode, string, string, string?];
  const startRssMB = rssMB();
  const began = performance.now();
  const cpu = process.cpuUsage();
  const module = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  const importMs = performance.now() - began;
  const used = process.cpuUsage(cpu);
  const importCpuMs = (used.user + used.system) / 1e3;
  const afterImportRssMB = rssMB();
  let extra: Partial<ChildResult> = {};
  if (mode === 'invoke') {
    if (!eventFile) throw new Error('invoke needs an event file');
    const invoked = performance.now();
    const event: unknown = JSON.parse(readFileSync(eventFile, 'utf8'));
    const summary = await module.handler(event);
    extra = { invokeMs: performance.now() - invoked, afterInvokeRssMB: rssMB(), summary };
  } else if (mode === 'stack') {
    try {
      await module.handler({});
      extra = { stack: '(no error)' };
    } catch (error) {
      extra = { stack: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
  }
  const result: ChildResult = {
    mode,
    startRssMB,
    importMs,
    importCpuMs,
    afterImportRssMB,
    ...extra,
    peakRssMB: Math.round(((process.resourceUsage().maxRSS * 1024) / MB) * 10) / 10,
  };
  writeFileSync(resultFile, JSON.stringify(result));
}

await main();

import { runClassify } from '../../cli/commands/classify.js';
import type { StreamOptions } from '../../cli/input.js';

/** The limits `runClassify` reads its inputs with (lowered in tests, so small files are many pieces). */
export type ClassifyLimits = Pick<StreamOptions, 'batchChars' | 'maxValueChars' | 'segmentChars'>;

/** `apigw403 classify` on `files`: its exit code, what it printed, and the JSONL findings parsed. */
export async function classifyCaptured(
  files: readonly string[],
  options: { readonly output?: 'jsonl' | 'table'; readonly logGroup?: string } = {},
  limits: ClassifyLimits = {},
) {
  let stdout = '';
  let stderr = '';
  const output = options.output ?? 'jsonl';
  const code = await runClassify(
    files,
    { output, ...(options.logGroup ? { logGroup: options.logGroup } : {}) },
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    },
    limits,
  );
  const findings =
    output === 'jsonl'
      ? stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line))
      : [];
  return { code, stdout, stderr, findings };
}

/** `apigw403 classify --output jsonl FILE`: its exit code, the request id of each finding, its stderr lines. */
export async function classifyFile(path: string): Promise<{ code: number; ids: string[]; notes: string[] }> {
  const { code, stderr, findings } = await classifyCaptured([path]);
  return {
    code,
    ids: findings.map((finding: { requestId: string }) => finding.requestId),
    notes: stderr.split('\n').filter(Boolean),
  };
}

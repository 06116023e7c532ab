import { runClassify } from '../../cli/commands/classify.js';

/** `apigw403 classify --output jsonl FILE`: its exit code, the request id of each finding, its stderr lines. */
export async function classifyFile(path: string): Promise<{ code: number; ids: string[]; notes: string[] }> {
  let stdout = '';
  let stderr = '';
  const code = await runClassify(
    [path],
    { output: 'jsonl' },
    {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    },
  );
  const ids = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { requestId: string }).requestId);
  return { code, ids, notes: stderr.split('\n').filter(Boolean) };
}

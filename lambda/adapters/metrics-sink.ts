/** EMF documents go to stdout, one JSON line each; CloudWatch turns them into metrics. */
export type MetricSink = (documents: readonly Record<string, unknown>[]) => void;

export const stdoutMetricSink: MetricSink = (documents) => {
  for (const document of documents) process.stdout.write(`${JSON.stringify(document)}\n`);
};

import type { IncomingHttpHeaders } from 'node:http';

/** Requests per AWS operation (`PutItem`, `Publish`, …) that reached one local peer. */
export type OperationCounts = Readonly<Record<string, number>>;

/** Requests per service, as the local peers received them (SDK retries included). */
export type AwsRequestCounts = Readonly<Record<string, OperationCounts>>;

/**
 * The operation an AWS SDK request names: the `X-Amz-Target` header of the JSON protocols
 * (`DynamoDB_20120810.PutItem`, `Logs_20140328.FilterLogEvents`) or the `Action` of the query
 * protocol (SNS: `Action=Publish&…`).
 */
export function operationOf(headers: IncomingHttpHeaders, body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) return target.slice(target.lastIndexOf('.') + 1);
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
  return action ?? 'unknown';
}

/** A tally of the requests every counted peer received, per service and operation. */
export class RequestCounter {
  private readonly counts = new Map<string, Map<string, number>>();

  record(service: string, operation: string): void {
    const byOperation = this.counts.get(service) ?? new Map<string, number>();
    byOperation.set(operation, (byOperation.get(operation) ?? 0) + 1);
    this.counts.set(service, byOperation);
  }

  snapshot(): AwsRequestCounts {
    return Object.fromEntries(
      [...this.counts].map(([service, byOperation]) => [service, Object.fromEntries(byOperation)]),
    );
  }

  /** What arrived after `before` (a snapshot), services and operations with no request left out. */
  since(before: AwsRequestCounts): AwsRequestCounts {
    const delta: Record<string, Record<string, number>> = {};
    for (const [service, byOperation] of this.counts) {
      for (const [operation, count] of byOperation) {
        const added = count - (before[service]?.[operation] ?? 0);
        if (added <= 0) continue;
        const serviceDelta = delta[service] ?? {};
        serviceDelta[operation] = added;
        delta[service] = serviceDelta;
      }
    }
    return delta;
  }
}

/** The total requests of each service in `counts`. */
export function totalsPerService(counts: AwsRequestCounts): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts).map(([service, byOperation]) => [
      service,
      Object.values(byOperation).reduce((sum, count) => sum + count, 0),
    ]),
  );
}

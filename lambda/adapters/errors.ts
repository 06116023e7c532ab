/**
 * Errors that say whether trying again can help. The monitor throws a retryable error so that
 * Lambda's asynchronous retries (and then the on-failure destination) take over; a non-retryable one
 * is a configuration problem that no retry will fix.
 */
export class MonitorError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MonitorError';
  }
}

interface SdkErrorShape {
  readonly name?: string;
  readonly $retryable?: unknown;
  readonly $fault?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const PERMANENT = new Set([
  'AccessDeniedException',
  'AuthorizationErrorException',
  'AuthorizationError',
  'InvalidParameterException',
  'InvalidParameter',
  'NotFoundException',
  'NotFound',
  'ResourceNotFoundException',
  'ValidationException',
]);

/** An SDK (or network) failure wrapped with `retryable`: client faults are permanent, the rest not. */
export function deliveryError(what: string, cause: unknown): MonitorError {
  const shape = (cause ?? {}) as SdkErrorShape;
  const permanent =
    (shape.name !== undefined && PERMANENT.has(shape.name)) ||
    (shape.$fault === 'client' && shape.$retryable === undefined && shape.$metadata?.httpStatusCode !== 429);
  const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new MonitorError(`${what} failed: ${detail}`, !permanent, { cause });
}

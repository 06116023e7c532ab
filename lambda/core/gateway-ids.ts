/**
 * What API Gateway's own names look like. The central monitor reads the API id and stage from the
 * lines a source account writes, so it keeps only lines that name them as API Gateway would: no `#`,
 * `/`, `%`, control or non-ASCII character, and a bounded length, whatever else the line holds.
 */

/** An API id as API Gateway generates it (REST, HTTP and WebSocket): 10 lower-case letters or digits. */
export const API_ID_PATTERN = /^[a-z0-9]{10}$/;
/** An HTTP API's default stage, the one stage name with a character outside `[A-Za-z0-9_-]`. */
export const DEFAULT_STAGE = '$default';
/** A stage name: letters, digits, `-` and `_`, at most 128 characters, or an HTTP API's `$default`. */
export const STAGE_NAME_PATTERN = /^(?:\$default|[A-Za-z0-9_-]{1,128})$/;
/** An AWS account id: the subscription document's `owner`, and a route's `match.account`. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/**
 * Whether `apiId` and `stage` are API Gateway names. A line that logs no API id (the classifier names
 * it `unknown`) has none: the access-log formats this project sets log `$context.apiId`, and a central
 * monitor fed every log group of an account (an account policy) also receives applications' own JSON
 * lines with a `status` of 403, which name no API.
 */
export function isGatewayStage(apiId: string, stage: string): boolean {
  return API_ID_PATTERN.test(apiId) && STAGE_NAME_PATTERN.test(stage);
}

/**
 * Lambda's quota on a function's environment: every variable's name and value together at most 4 KB.
 * A template over it synthesizes clean and fails at `cdk deploy` ("exceeded the 4KB limit"), so the
 * construct measures it at synth, counting what CloudFormation fills in at deploy at its longest.
 */

/** Lambda's limit on a function's environment variables, names and values, in bytes. */
export const LAMBDA_ENVIRONMENT_BYTES = 4_096;

/**
 * The longest value of a reference CloudFormation resolves at deploy, by the type of the resource it
 * refers to: an API's `Ref` is its 10-character id, a stage's its name (at most 128).
 */
export const REFERENCE_BYTES: Readonly<Record<string, number>> = {
  'AWS::ApiGateway::RestApi': 10,
  'AWS::ApiGatewayV2::Api': 10,
  'AWS::ApiGateway::Stage': 128,
  'AWS::ApiGatewayV2::Stage': 128,
};
/**
 * Any other reference: a name CloudFormation generates (stack name, logical id and suffix, which it
 * truncates; a DynamoDB table name is at most 255) or an ARN around one (an SNS topic's).
 */
export const DEFERRED_VALUE_BYTES = 256;

/** Resource types by logical id, to size a `Ref` by what it refers to. */
export type ResourceTypes = ReadonlyMap<string, string>;

function referenceBytes(intrinsic: object, types: ResourceTypes): number {
  const ref = (intrinsic as { Ref?: unknown }).Ref;
  const type = typeof ref === 'string' ? types.get(ref) : undefined;
  return (type === undefined ? undefined : REFERENCE_BYTES[type]) ?? DEFERRED_VALUE_BYTES;
}

/**
 * The bytes of one resolved value at its longest: literal text as written, a reference by
 * `referenceBytes`, an `Fn::Join` as the sum of its parts and separators.
 */
export function worstCaseBytes(resolved: unknown, types: ResourceTypes = new Map()): number {
  if (typeof resolved === 'string') return Buffer.byteLength(resolved, 'utf8');
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved).length;
  if (resolved === null || typeof resolved !== 'object') return 0;
  if ('Fn::Join' in resolved) {
    const [separator, parts] = (resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return (
      parts.reduce<number>((sum, part) => sum + worstCaseBytes(part, types), 0) +
      Buffer.byteLength(separator, 'utf8') * Math.max(parts.length - 1, 0)
    );
  }
  return referenceBytes(resolved, types);
}

/** The environment's size at its longest: names and values, each value resolved by `resolve`. */
export function environmentWorstCaseBytes(
  environment: Readonly<Record<string, string>>,
  resolve: (value: string) => unknown,
  types: ResourceTypes = new Map(),
): number {
  return Object.entries(environment).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + worstCaseBytes(resolve(value), types),
    0,
  );
}

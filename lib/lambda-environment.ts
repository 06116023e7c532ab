/**
 * Lambda's quota on a function's environment: every variable's name and value together at most 4 KB.
 * A template over it synthesizes clean and fails at `cdk deploy` ("exceeded the 4KB limit"), so the
 * construct measures it at synth, counting what CloudFormation fills in at deploy at its longest.
 */

/** Lambda's limit on a function's environment variables, names and values, in bytes. */
export const LAMBDA_ENVIRONMENT_BYTES = 4_096;

/**
 * The longest value a reference CloudFormation resolves at deploy can take in an environment: an ARN
 * around a 256-character name (an SNS topic's longest), the longest of the names this stack passes
 * (a DynamoDB table name is at most 255, an SNS topic ARN about 300).
 */
export const DEFERRED_VALUE_BYTES = 320;

/**
 * The bytes of one resolved value at its longest: literal text as written, every reference
 * (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`, ...) at `DEFERRED_VALUE_BYTES`, an `Fn::Join` as the sum
 * of its parts and separators.
 */
export function worstCaseBytes(resolved: unknown): number {
  if (typeof resolved === 'string') return Buffer.byteLength(resolved, 'utf8');
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved).length;
  if (resolved !== null && typeof resolved === 'object' && 'Fn::Join' in resolved) {
    const [separator, parts] = (resolved as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return (
      parts.reduce<number>((sum, part) => sum + worstCaseBytes(part), 0) +
      Buffer.byteLength(separator, 'utf8') * Math.max(parts.length - 1, 0)
    );
  }
  return DEFERRED_VALUE_BYTES;
}

/** The environment's size at its longest: names and values, each value resolved by `resolve`. */
export function environmentWorstCaseBytes(
  environment: Readonly<Record<string, string>>,
  resolve: (value: string) => unknown,
): number {
  return Object.entries(environment).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name, 'utf8') + worstCaseBytes(resolve(value)),
    0,
  );
}

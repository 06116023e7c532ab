/** Reading a synthesized template as plain JSON, for assertions `Template` has no matcher for. */

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is walked by the deep paths each test asserts on.
export type Json = Record<string, any>;

export const ofType = (template: Json, type: string): [string, Json][] =>
  Object.entries(template.Resources as Json).filter(([, resource]) => resource.Type === type);

/** Renders an `Fn::Join` of strings and references to one string, a reference as `<{Ref:X}>` (no quotes). */
export const joined = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const join = (value as Json)['Fn::Join'];
  if (join) return (join[1] as unknown[]).map(joined).join(join[0]);
  return `<${JSON.stringify(value).replaceAll('"', '')}>`;
};

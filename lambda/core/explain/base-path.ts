/** One API mapping of a custom domain (`(none)` or empty maps the whole domain). */
export interface DomainMapping {
  readonly basePath: string;
  readonly apiId: string;
  readonly stage: string;
}

export interface MappingMatch {
  readonly mapping: DomainMapping;
  /** The path segments the mapped API sees, after the base path. */
  readonly rest: readonly string[];
}

/** The mapping API Gateway routes a path to: the longest base path that prefixes it, else the root mapping. */
export function matchMapping(
  mappings: readonly DomainMapping[],
  segments: readonly string[],
): MappingMatch | undefined {
  let best: MappingMatch | undefined;
  let bestLength = -1;
  for (const mapping of mappings) {
    const base =
      mapping.basePath === '(none)' ? [] : mapping.basePath.split('/').filter((part) => part !== '');
    const matches = base.every((part, index) => segments[index] === part);
    if (matches && base.length > bestLength) {
      best = { mapping, rest: segments.slice(base.length) };
      bestLength = base.length;
    }
  }
  return best;
}

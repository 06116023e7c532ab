const ANY_SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /\p{Cs}/gu;

/**
 * `text` with every lone UTF-16 surrogate replaced by U+FFFD. A caller can put one in any logged field
 * (`\ud800` in a JSON access line); left in, it breaks every URL-encoded request and link built from
 * it (SNS Publish and `encodeURIComponent` throw `URIError`, on every retry of the batch). Paired
 * surrogates are kept; one scan, and a copy only when one is found.
 */
export function wellFormed(text: string): string {
  return ANY_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD') : text;
}

/** `value` with `wellFormed` applied to every string in it (objects and arrays are copied only if changed). */
export function wellFormedDeep<T>(value: T): T {
  if (typeof value === 'string') return wellFormed(value) as T;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => wellFormedDeep(item));
    return (items.some((item, index) => item !== value[index]) ? items : value) as T;
  }
  if (typeof value !== 'object' || value === null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const repaired = wellFormedDeep(item);
    if (repaired === item) continue;
    copy ??= { ...(value as Record<string, unknown>) };
    copy[key] = repaired;
  }
  return (copy ?? value) as T;
}

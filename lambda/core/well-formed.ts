import type { Finding } from './model.js';

/**
 * `text` with every lone UTF-16 surrogate replaced by U+FFFD. A caller can put one in any logged field
 * (`\ud800` in a JSON access line); left in, it breaks every URL-encoded request and link built from
 * it (SNS Publish and `encodeURIComponent` throw `URIError`, on every retry of the batch). Paired
 * surrogates are kept; a copy only when one is found (`isWellFormed` answers at once for a string
 * V8 holds in one byte per character, as nearly every logged value is).
 */
export function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/**
 * `value` with `wellFormed` applied to every string in it (objects and arrays are copied only if changed).
 * The monitor runs it on every finding, and almost none holds a lone surrogate: a walk that allocates
 * nothing says so first, and only then are copies made.
 */
export function wellFormedDeep<T>(value: T): T {
  return holdsLoneSurrogate(value) ? repairDeep(value) : value;
}

/** Whether any string in `value` (own enumerable properties, as `repairDeep` reads them) holds a lone surrogate. */
function holdsLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return !value.isWellFormed();
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (holdsLoneSurrogate(value[i])) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) if (Object.hasOwn(record, key) && holdsLoneSurrogate(record[key])) return true;
  return false;
}

/** `wellFormedDeep` by copying: every string repaired, objects and arrays copied only if changed. */
export function repairDeep<T>(value: T): T {
  if (typeof value === 'string') return wellFormed(value) as T;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => repairDeep(item));
    return (items.some((item, index) => item !== value[index]) ? items : value) as T;
  }
  if (typeof value !== 'object' || value === null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const repaired = repairDeep(item);
    if (repaired === item) continue;
    copy ??= { ...(value as Record<string, unknown>) };
    copy[key] = repaired;
  }
  return (copy ?? value) as T;
}

/**
 * `wellFormedDeep` for a finding, by its keys rather than by a walk over whatever it holds: the
 * monitor checks every finding, and reading its fields by name costs a fraction of the walk
 * (test/unit/well-formed.test.ts puts a lone surrogate in every text of a finding with every key).
 */
export function wellFormedFinding(finding: Finding): Finding {
  return findingIsWellFormed(finding) ? finding : repairDeep(finding);
}

function findingIsWellFormed(f: Finding): boolean {
  return (
    isWellFormed(f.requestId) &&
    isWellFormed(f.extendedRequestId) &&
    isWellFormed(f.category) &&
    isWellFormed(f.confidence) &&
    isWellFormed(f.reason) &&
    isWellFormed(f.apiId) &&
    isWellFormed(f.stage) &&
    isWellFormed(f.httpMethod) &&
    isWellFormed(f.resourcePath) &&
    isWellFormed(f.path) &&
    isWellFormed(f.domainName) &&
    isWellFormed(f.sourceIp) &&
    isWellFormed(f.userAgent) &&
    isWellFormed(f.apiKeyId) &&
    isWellFormed(f.deploymentId) &&
    allWellFormed(f.sources) &&
    allWellFormed(f.signals) &&
    allWellFormed(f.evidence) &&
    allWellFormed(f.missingFields) &&
    (f.candidates === undefined ||
      f.candidates.every((candidate) => isWellFormed(candidate.category) && isWellFormed(candidate.why)))
  );
}

const isWellFormed = (text: string | undefined): boolean => text === undefined || text.isWellFormed();

function allWellFormed(texts: readonly string[] | undefined): boolean {
  if (texts !== undefined)
    for (let i = 0; i < texts.length; i++) if (!(texts[i] as string).isWellFormed()) return false;
  return true;
}

import type { Category, Confidence } from './categories.js';
import { redactCached } from './classify.js';
import type { EvidenceSource, Finding } from './model.js';

export interface Top {
  readonly value: string;
  readonly count: number;
}

/** All findings of one (API, stage, category) in a batch: what one alert is about. */
export interface FindingGroup {
  readonly apiId: string;
  readonly stage: string;
  readonly category: Category;
  readonly count: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly sampleRequestIds: readonly string[];
  readonly topSourceIps: readonly Top[];
  readonly topPaths: readonly Top[];
  readonly topUserAgents: readonly Top[];
  readonly topApiKeyIds: readonly Top[];
  readonly httpMethods: readonly Top[];
  readonly reasons: readonly Top[];
  readonly confidence: Readonly<Record<Confidence, number>>;
  readonly signals: readonly string[];
  readonly evidence: readonly string[];
  readonly sources: readonly EvidenceSource[];
}

export interface GroupOptions {
  /** @default DEFAULT_SAMPLE_SIZE */
  readonly sampleSize?: number;
  /** @default DEFAULT_TOP_N */
  readonly topN?: number;
}

export const DEFAULT_SAMPLE_SIZE = 5;
export const DEFAULT_TOP_N = 5;
const MAX_EVIDENCE_LINES = 5;

class Counter {
  // A mutable cell per value: one hash lookup per occurrence instead of a get and a set.
  private readonly counts = new Map<string, { count: number }>();
  /** Values shown through `shown` (redaction) when the top is built, counted here as logged. */
  private readonly raw = new Map<string, { count: number }>();

  /**
   * The cell of the value met last: a group's lines repeat their neighbour's method, key, reason or
   * agent, and comparing two strings costs less than hashing a fresh one.
   */
  private last: string | undefined;
  private lastCounts: Map<string, { count: number }> | undefined;
  private lastCell: { count: number } = { count: 0 };

  constructor(private readonly shown?: (value: string) => string) {}

  add(value: string | undefined): void {
    if (value !== undefined) this.bump(this.counts, value);
  }

  /** A value still to pass through `shown`; counted under what it shows as. */
  addRaw(value: string | undefined): void {
    if (value !== undefined) this.bump(this.shown ? this.raw : this.counts, value);
  }

  /** The paths counter takes both (a route template is never redacted): `last` is per map. */
  private bump(counts: Map<string, { count: number }>, value: string): void {
    if (value === this.last && counts === this.lastCounts) {
      this.lastCell.count += 1;
      return;
    }
    let cell = counts.get(value);
    if (cell) cell.count += 1;
    else {
      cell = { count: 1 };
      counts.set(value, cell);
    }
    this.last = value;
    this.lastCounts = counts;
    this.lastCell = cell;
  }

  top(n: number): Top[] {
    const shown = this.shown;
    if (shown) for (const [value, cell] of this.raw) merge(this.counts, shown(value), cell.count);
    this.raw.clear();
    this.lastCounts = undefined;
    // The n best in one pass, kept in order: a group's paths can be thousands, its top is five.
    const best: Top[] = [];
    if (n <= 0) return best;
    for (const [value, cell] of this.counts) {
      if (best.length === n && !ranksBefore(cell.count, value, best[n - 1] as Top)) continue;
      let at = best.length === n ? n - 1 : best.length;
      while (at > 0 && ranksBefore(cell.count, value, best[at - 1] as Top)) {
        best[at] = best[at - 1] as Top;
        at--;
      }
      best[at] = { value, count: cell.count };
    }
    return best;
  }
}

/** Findings mostly share their signal list (classify.ts interns them): the same list costs no walk. */
function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Larger counts first, then values in code-unit order (values in a counter are distinct). */
const ranksBefore = (count: number, value: string, other: Top): boolean =>
  count > other.count || (count === other.count && value < other.value);

function merge(counts: Map<string, { count: number }>, value: string, count: number): void {
  const cell = counts.get(value);
  if (cell) cell.count += count;
  else counts.set(value, { count });
}

class GroupBuilder {
  count = 0;
  firstSeen = Number.POSITIVE_INFINITY;
  lastSeen = Number.NEGATIVE_INFINITY;
  readonly samples: string[] = [];
  readonly ips = new Counter();
  readonly paths: Counter;
  readonly agents: Counter;
  readonly keys = new Counter();
  readonly methods = new Counter();
  readonly reasons = new Counter();
  readonly confidence: Record<Confidence, number> = { high: 0, medium: 0, low: 0 };
  readonly signals = new Set<string>();
  readonly evidence = new Set<string>();
  /** The evidence lines met before redaction (with `redactText`). */
  private readonly rawEvidence = new Set<string>();
  readonly sources = new Set<EvidenceSource>();
  // What the last finding brought, already in the sets above.
  private lastSignals: readonly string[] = [];
  private lastEvidence: readonly string[] | undefined;
  private lastSources: readonly EvidenceSource[] | undefined;

  constructor(
    readonly apiId: string,
    readonly stage: string,
    readonly category: Category,
    private readonly redactText: ((text: string) => string) | undefined,
  ) {
    this.paths = new Counter(redactText);
    this.agents = new Counter(redactText);
  }

  add(finding: Finding, sampleSize: number): void {
    this.count += 1;
    this.firstSeen = Math.min(this.firstSeen, finding.timestamp);
    this.lastSeen = Math.max(this.lastSeen, finding.timestamp);
    if (this.samples.length < sampleSize) this.samples.push(finding.requestId);
    this.ips.add(finding.sourceIp);
    // The route template comes from the API definition, not the caller: it is never redacted.
    if (finding.path !== undefined) this.paths.addRaw(finding.path);
    else this.paths.add(finding.resourcePath);
    this.agents.addRaw(finding.userAgent);
    this.keys.add(finding.apiKeyId);
    this.methods.add(finding.httpMethod);
    this.reasons.add(finding.reason);
    this.confidence[finding.confidence] += 1;
    if (!sameStrings(finding.signals, this.lastSignals)) {
      for (const signal of finding.signals) this.signals.add(signal);
      this.lastSignals = finding.signals;
    }
    // Findings share their decision's evidence lines (read-only): lines already met need no look-up.
    if (finding.evidence !== this.lastEvidence) this.addEvidence(finding.evidence);
    if (finding.sources !== this.lastSources) {
      for (const source of finding.sources) this.sources.add(source);
      this.lastSources = finding.sources;
    }
  }

  private addEvidence(lines: readonly string[]): void {
    this.lastEvidence = lines;
    for (const line of lines) {
      if (this.evidence.size >= MAX_EVIDENCE_LINES) break;
      if (!this.redactText) this.evidence.add(line);
      else if (!this.rawEvidence.has(line)) {
        // The same line redacts to the same text: redact each distinct line once.
        this.rawEvidence.add(line);
        this.evidence.add(this.redactText(line));
      }
    }
  }

  build(topN: number): FindingGroup {
    return {
      apiId: this.apiId,
      stage: this.stage,
      category: this.category,
      count: this.count,
      firstSeen: this.firstSeen,
      lastSeen: this.lastSeen,
      sampleRequestIds: this.samples,
      topSourceIps: this.ips.top(topN),
      topPaths: this.paths.top(topN),
      topUserAgents: this.agents.top(topN),
      topApiKeyIds: this.keys.top(topN),
      httpMethods: this.methods.top(topN),
      reasons: this.reasons.top(topN),
      confidence: this.confidence,
      signals: [...this.signals].sort(),
      evidence: [...this.evidence],
      sources: [...this.sources].sort(),
    };
  }
}

/**
 * Findings folded into groups as they come, so a batch need not keep a finding per request. With
 * `redact`, the findings' `path`, `userAgent` and `evidence` are taken as logged
 * (`classifyRequestUnredacted`) and redacted here, once per distinct value a group keeps, with the
 * same counts as if every finding had been redacted first.
 */
export class GroupAccumulator {
  private readonly groups = new Map<string, Map<string, Map<Category, GroupBuilder>>>();
  /**
   * The groups of the last finding's stage: a batch's lines are of one stage or a few, while
   * neighbouring lines are mostly of different categories (so the cache is per stage, not per group).
   */
  private last: { apiId: string; stage: string; categories: Map<Category, GroupBuilder> } | undefined;
  private readonly sampleSize: number;
  private readonly topN: number;
  private readonly redactText: ((text: string) => string) | undefined;
  private findings = 0;

  constructor(options: GroupOptions & { readonly redact?: boolean } = {}) {
    this.sampleSize = options.sampleSize ?? DEFAULT_SAMPLE_SIZE;
    this.topN = options.topN ?? DEFAULT_TOP_N;
    this.redactText = options.redact ? redactCached : undefined;
  }

  /** Findings added so far. */
  get size(): number {
    return this.findings;
  }

  add(finding: Finding): void {
    this.findings += 1;
    let { last } = this;
    if (last === undefined || last.apiId !== finding.apiId || last.stage !== finding.stage) {
      last = {
        apiId: finding.apiId,
        stage: finding.stage,
        categories: nestedMap(nestedMap(this.groups, finding.apiId), finding.stage),
      };
      this.last = last;
    }
    const { categories } = last;
    let group = categories.get(finding.category);
    if (!group) {
      group = new GroupBuilder(finding.apiId, finding.stage, finding.category, this.redactText);
      categories.set(finding.category, group);
    }
    group.add(finding, this.sampleSize);
  }

  /** The groups, the largest first. */
  build(): FindingGroup[] {
    const built: FindingGroup[] = [];
    for (const stages of this.groups.values())
      for (const categories of stages.values())
        for (const group of categories.values()) built.push(group.build(this.topN));
    return built.sort(
      (a, b) =>
        b.count - a.count ||
        a.apiId.localeCompare(b.apiId) ||
        a.stage.localeCompare(b.stage) ||
        a.category.localeCompare(b.category),
    );
  }
}

/**
 * The map under `key` in `outer`, made when absent: nested maps rather than a joined key, so no
 * string is built per finding.
 */
export function nestedMap<K, InnerKey, V>(outer: Map<K, Map<InnerKey, V>>, key: K): Map<InnerKey, V> {
  let inner = outer.get(key);
  if (!inner) {
    inner = new Map();
    outer.set(key, inner);
  }
  return inner;
}

/** Groups findings by (API id, stage, category); the largest groups first. */
export function groupFindings(findings: readonly Finding[], options: GroupOptions = {}): FindingGroup[] {
  const accumulator = new GroupAccumulator(options);
  for (const finding of findings) accumulator.add(finding);
  return accumulator.build();
}

import type { Category, Confidence } from './categories.js';
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
  add(value: string | undefined): void {
    if (value === undefined) return;
    const cell = this.counts.get(value);
    if (cell) cell.count += 1;
    else this.counts.set(value, { count: 1 });
  }
  top(n: number): Top[] {
    return [...this.counts]
      .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([value, cell]) => ({ value, count: cell.count }));
  }
}

class GroupBuilder {
  count = 0;
  firstSeen = Number.POSITIVE_INFINITY;
  lastSeen = Number.NEGATIVE_INFINITY;
  readonly samples: string[] = [];
  readonly ips = new Counter();
  readonly paths = new Counter();
  readonly agents = new Counter();
  readonly keys = new Counter();
  readonly methods = new Counter();
  readonly reasons = new Counter();
  readonly confidence: Record<Confidence, number> = { high: 0, medium: 0, low: 0 };
  readonly signals = new Set<string>();
  readonly evidence = new Set<string>();
  readonly sources = new Set<EvidenceSource>();

  constructor(
    readonly apiId: string,
    readonly stage: string,
    readonly category: Category,
  ) {}

  add(finding: Finding, sampleSize: number): void {
    this.count += 1;
    this.firstSeen = Math.min(this.firstSeen, finding.timestamp);
    this.lastSeen = Math.max(this.lastSeen, finding.timestamp);
    if (this.samples.length < sampleSize) this.samples.push(finding.requestId);
    this.ips.add(finding.sourceIp);
    this.paths.add(finding.path ?? finding.resourcePath);
    this.agents.add(finding.userAgent);
    this.keys.add(finding.apiKeyId);
    this.methods.add(finding.httpMethod);
    this.reasons.add(finding.reason);
    this.confidence[finding.confidence] += 1;
    for (const signal of finding.signals) this.signals.add(signal);
    for (const line of finding.evidence) if (this.evidence.size < MAX_EVIDENCE_LINES) this.evidence.add(line);
    for (const source of finding.sources) this.sources.add(source);
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

/** Groups findings by (API id, stage, category); the largest groups first. */
export function groupFindings(findings: readonly Finding[], options: GroupOptions = {}): FindingGroup[] {
  const sampleSize = options.sampleSize ?? DEFAULT_SAMPLE_SIZE;
  const topN = options.topN ?? DEFAULT_TOP_N;
  const groups = new Map<string, GroupBuilder>();
  for (const finding of findings) {
    const key = `${finding.apiId}\u0000${finding.stage}\u0000${finding.category}`;
    let group = groups.get(key);
    if (!group) {
      group = new GroupBuilder(finding.apiId, finding.stage, finding.category);
      groups.set(key, group);
    }
    group.add(finding, sampleSize);
  }
  return [...groups.values()]
    .map((group) => group.build(topN))
    .sort(
      (a, b) =>
        b.count - a.count ||
        a.apiId.localeCompare(b.apiId) ||
        a.stage.localeCompare(b.stage) ||
        a.category.localeCompare(b.category),
    );
}

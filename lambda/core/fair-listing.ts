/**
 * A bounded listing that no source account (and, within an account, no stage) can fill alone. The
 * digest and the sweep keep at most `limit` groups; when the table holds more, each account keeps
 * min(its groups, a fair share) of the limit, and inside an account each stage the same (max-min
 * fairness, water-filling), so a noisy account with 50,000 groups leaves another account's 10
 * background groups in its digest. Streaming, whatever the table holds: between compactions a cut
 * bucket keeps one entry over the level (looseShares), so what is held stays under twice the limit
 * plus a quarter of it, and usually near the limit. Pure.
 */

/** What fairness is over: the source account (none for a single-account monitor), then the stage. */
export interface FairKey {
  readonly account?: string;
  readonly apiId: string;
  readonly stage: string;
}

/**
 * Max-min fair shares of `capacity` for buckets of these sizes: every bucket gets its size or the
 * common level, whichever is smaller; the units a level leaves go to the largest buckets' first ones.
 */
export function fairShares(sizes: readonly number[], capacity: number): number[] {
  const shares = new Array<number>(sizes.length).fill(0);
  const order = sizes.map((_, index) => index).sort((a, b) => (sizes[a] ?? 0) - (sizes[b] ?? 0));
  let remaining = Math.max(0, Math.floor(capacity));
  for (let rank = 0; rank < order.length; rank += 1) {
    const index = order[rank] as number;
    const size = sizes[index] ?? 0;
    const left = order.length - rank;
    if (size * left <= remaining) {
      shares[index] = size;
      remaining -= size;
      continue;
    }
    // Every bucket from here on is larger than the level: each gets the level, some one more.
    const level = Math.floor(remaining / left);
    let extra = remaining % left;
    for (let rest = rank; rest < order.length; rest += 1) {
      shares[order[rest] as number] = level + (extra > 0 ? 1 : 0);
      if (extra > 0) extra -= 1;
    }
    break;
  }
  return shares;
}

/**
 * What a compaction before the end keeps of each bucket: its final fair share is not known yet (later
 * entries lower the water level, but the one unit a level leaves over may go to another bucket), so
 * a cut bucket keeps one more than the level, which its final share never exceeds; at a level of 0
 * (more buckets than room) exactly the shares, since every final share is then 0 or 1 too.
 */
function looseShares(sizes: readonly number[], capacity: number): number[] {
  const shares = fairShares(sizes, capacity);
  let level = Number.POSITIVE_INFINITY;
  shares.forEach((share, index) => {
    if (share < (sizes[index] ?? 0)) level = Math.min(level, share);
  });
  if (level === Number.POSITIVE_INFINITY || level === 0) return shares;
  return sizes.map((size) => Math.min(size, level + 1));
}

export class FairListing<T> {
  /** account -> stage -> entries, in the order they came. */
  private readonly accounts = new Map<string, Map<string, T[]>>();
  private held = 0;
  private cut = false;
  /** When the next compaction runs: a quarter of the limit after what the last one kept. */
  private nextCompaction: number;

  constructor(
    private readonly limit: number,
    private readonly keyOf: (entry: T) => FairKey,
  ) {
    this.nextCompaction = limit + Math.ceil(limit / 4);
  }

  add(entry: T): void {
    const key = this.keyOf(entry);
    const account = key.account ?? '';
    let stages = this.accounts.get(account);
    if (!stages) {
      stages = new Map();
      this.accounts.set(account, stages);
    }
    const stage = JSON.stringify([key.apiId, key.stage]);
    const list = stages.get(stage);
    if (list) list.push(entry);
    else stages.set(stage, [entry]);
    this.held += 1;
    // Compacting once per quarter of the limit keeps the work linear in what is read.
    if (this.held > this.nextCompaction) this.compact(looseShares);
  }

  /** Whether an entry was left out to keep the bound. */
  get truncated(): boolean {
    return this.cut || this.held > this.limit;
  }

  /** At most `limit` entries, fairly shared: account by account, stage by stage. */
  entries(): T[] {
    if (this.held > this.limit) this.compact(fairShares);
    return [...this.accounts.values()].flatMap((stages) => [...stages.values()].flat());
  }

  /** Cuts every account to its share of the limit, and inside it every stage to its share of that. */
  private compact(share: (sizes: readonly number[], capacity: number) => number[]): void {
    const accounts = [...this.accounts.values()];
    const accountSizes = accounts.map((stages) =>
      [...stages.values()].reduce((n, list) => n + list.length, 0),
    );
    const accountShares = share(accountSizes, this.limit);
    let held = 0;
    accounts.forEach((stages, index) => {
      const lists = [...stages.values()];
      const stageShares = share(
        lists.map((list) => list.length),
        accountShares[index] ?? 0,
      );
      [...stages.keys()].forEach((stage, at) => {
        const list = stages.get(stage) ?? [];
        list.length = Math.min(list.length, stageShares[at] ?? 0);
        held += list.length;
        // A stage or account cut to nothing is forgotten: what is held stays bounded.
        if (list.length === 0) stages.delete(stage);
      });
    });
    for (const [account, stages] of this.accounts) if (stages.size === 0) this.accounts.delete(account);
    this.cut ||= held < this.held;
    this.held = held;
    this.nextCompaction = Math.max(held, this.limit) + Math.ceil(this.limit / 4);
  }
}

/**
 * A bounded listing that no source account (and, within an account, no stage) can fill alone. The
 * digest and the sweep keep at most `limit` groups; when the table holds more, each account keeps
 * min(its groups, a fair share) of the limit, and inside an account each stage the same (max-min
 * fairness, water-filling), so a noisy account with 50,000 groups leaves another account's 10
 * background groups in its digest. Streaming: at most `limit` plus a quarter of it are held, whatever
 * the table holds. Pure.
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

export class FairListing<T> {
  /** account -> stage -> entries, in the order they came. */
  private readonly accounts = new Map<string, Map<string, T[]>>();
  private held = 0;
  private cut = false;

  constructor(
    private readonly limit: number,
    private readonly keyOf: (entry: T) => FairKey,
  ) {}

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
    if (this.held > this.limit + Math.ceil(this.limit / 4)) this.compact();
  }

  /** Whether an entry was left out to keep the bound. */
  get truncated(): boolean {
    return this.cut || this.held > this.limit;
  }

  /** At most `limit` entries, fairly shared: account by account, stage by stage. */
  entries(): T[] {
    if (this.held > this.limit) this.compact();
    return [...this.accounts.values()].flatMap((stages) => [...stages.values()].flat());
  }

  /** Cuts every account to its fair share of the limit, and inside it every stage to its share. */
  private compact(): void {
    const accounts = [...this.accounts.values()];
    const accountSizes = accounts.map((stages) =>
      [...stages.values()].reduce((n, list) => n + list.length, 0),
    );
    const accountShares = fairShares(accountSizes, this.limit);
    accounts.forEach((stages, index) => {
      const lists = [...stages.values()];
      const stageShares = fairShares(
        lists.map((list) => list.length),
        accountShares[index] ?? 0,
      );
      [...stages.keys()].forEach((stage, at) => {
        const list = stages.get(stage) ?? [];
        list.length = Math.min(list.length, stageShares[at] ?? 0);
        // A stage or account cut to nothing is forgotten: what is held stays bounded by the limit.
        if (list.length === 0) stages.delete(stage);
      });
    });
    for (const [account, stages] of this.accounts) if (stages.size === 0) this.accounts.delete(account);
    this.held = Math.min(this.held, this.limit);
    this.cut = true;
  }
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { STATE_TABLE } from '../../cli/peers/local-aws.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { StateStore } from '../../lambda/adapters/state-store.js';
import { RECENT_BATCHES } from '../../lambda/core/lifecycle.js';
import { useMonitorPeers, wafAccessLine } from '../fixtures/monitor-peers.js';

// A crashed invocation (timeout, OOM, lost container: no releaseBatch, so no progress bits) may have
// written some of its groups; its retry, after the lease, must not count them again even when other
// batches wrote them meanwhile (a hot group), which the group's `lastBatch` alone cannot tell.
// The crash is injected (the peers cannot kill a process): finishBatch throws.

const API = 'h0tgr0up01';
const OTHER = 'c0ldgr0up1';
const peers = useMonitorPeers([
  { apiId: API, stage: 'prod', accessLogGroup: `/aws/apigateway/${API}/prod`, executionLogs: false },
  { apiId: OTHER, stage: 'prod', accessLogGroup: `/aws/apigateway/${OTHER}/prod`, executionLogs: false },
]);
const MINUTE = 60_000;
let clock = Date.parse('2026-11-30T06:00:00Z');
let request = 0;
function batch(count: number, api = API) {
  const events = Array.from({ length: count }, (_, index) => {
    request += 1;
    return {
      timestamp: clock + index * 100,
      message: wafAccessLine(api, 'prod', `7c0a2b4e-0000-4000-8000-${String(request).padStart(12, '0')}`),
    };
  });
  return subscriptionEvent(logsDocument(`/aws/apigateway/${api}/prod`, events));
}

class DiesBeforeFinishing extends StateStore {
  override async finishBatch(
    ...args: Parameters<StateStore['finishBatch']>
  ): ReturnType<StateStore['finishBatch']> {
    void args;
    throw new Error('Runtime exited (simulated crash after the group writes)');
  }
}

function store() {
  return new StateStore(new DynamoDBClient({}), STATE_TABLE);
}
async function counted(api = API): Promise<number> {
  const state = await store().read({ apiId: api, stage: 'prod', category: 'WAF_FILTERED' });
  return (state?.hours.counts.counts ?? []).reduce((sum, n) => sum + n, 0);
}
type Logged = { level: string; message: string; counts: Record<string, unknown> };
function handlers() {
  const logged: Logged[] = [];
  const log = (level: string, message: string, counts: Record<string, unknown>) => {
    logged.push({ level, message, counts });
  };
  return {
    logged,
    crashing: peers.createHandler({
      now: () => clock,
      metrics: () => {},
      log,
      store: new DiesBeforeFinishing(new DynamoDBClient({}), STATE_TABLE),
    }),
    handler: peers.createHandler({ now: () => clock, metrics: () => {}, log }),
  };
}

describe('a crashed batch on a hot group', () => {
  it('is counted once in the group after its retry, whatever other batches wrote meanwhile', async () => {
    const { crashing, handler, logged } = handlers();
    await handler(batch(1)); // the group exists (its "new" alert went out)
    clock += MINUTE;
    const x = batch(5);
    await expect(crashing(x)).rejects.toThrow(/simulated crash/);
    clock += MINUTE;
    await handler(batch(2)); // another batch on the same (hot) group
    clock += 10 * MINUTE; // the crashed invocation's lease is over: Lambda's retry of x
    const retry = await handler(x);
    expect(retry.outcomes.map((outcome) => [outcome.action, outcome.why])).toEqual([
      ['skip', 'already-applied'],
    ]);
    expect(await counted()).toBe(8); // 1 + 5 + 2 (it was 13: x counted twice)
    expect(logged.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('crashing twice, the third attempt counts each group once: the one it had written and the one it had not', async () => {
    const { crashing, handler } = handlers();
    const before = [await counted(API), await counted(OTHER)];
    clock += 60 * MINUTE;
    // One batch of two log groups cannot happen (a batch is one log group): a crash then the
    // retry crashing again on the same group, and another group the retry writes for the first time.
    const x = batch(3);
    await expect(crashing(x)).rejects.toThrow(/simulated crash/);
    clock += MINUTE;
    await handler(batch(1));
    clock += 10 * MINUTE;
    await expect(crashing(x)).rejects.toThrow(/simulated crash/); // resumed: skipped the group, died again
    clock += MINUTE;
    await handler(batch(1));
    clock += 10 * MINUTE;
    const third = await handler(x);
    expect(third.outcomes.map((outcome) => outcome.why)).toEqual(['already-applied']);
    expect(await counted(API)).toBe((before[0] ?? 0) + 3 + 1 + 1);
    // A resumed batch the group never saw is counted (the ring is a list of writers, not a guess).
    const y = batch(4, OTHER);
    await expect(crashing(y)).rejects.toThrow(/simulated crash/);
    clock += 10 * MINUTE;
    await handler(y);
    expect(await counted(OTHER)).toBe((before[1] ?? 0) + 4);
  });

  it(`past ${RECENT_BATCHES} other writers the retry counts again (at least once), flagged in the outcome and a warning`, async () => {
    const { crashing, handler, logged } = handlers();
    clock += 60 * MINUTE;
    const before = await counted();
    const x = batch(5);
    await expect(crashing(x)).rejects.toThrow(/simulated crash/);
    for (let index = 0; index < RECENT_BATCHES; index += 1) {
      clock += 1_000;
      await handler(batch(1));
    }
    const state = await store().read({ apiId: API, stage: 'prod', category: 'WAF_FILTERED' });
    expect(state?.recentBatches).toHaveLength(RECENT_BATCHES); // wrapped: x's tag is gone
    clock += 10 * MINUTE;
    const retry = await handler(x);
    expect(retry.outcomes.map((outcome) => outcome.mayRecount)).toEqual([true]);
    expect(await counted()).toBe(before + 5 + RECENT_BATCHES + 5);
    expect(
      logged.filter((line) => line.level === 'warn').map((line) => [line.message, line.counts.mayRecount]),
    ).toEqual([['a resumed batch may have counted groups a second time', 1]]);
  });
});

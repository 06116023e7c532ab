import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAPPING_CACHE_MS,
  MAPPING_MISS_REFRESH_MS,
  MappingCache,
} from '../../lambda/adapters/discovery-store.js';
import { recommendedAccessLogFormat } from '../../lambda/core/access-log-format.js';
import {
  DEFAULT_FILTER_NAME_PREFIX,
  type DiscoveryMapping,
  decodeMapping,
  desiredFilters,
  discoveredStages,
  type ExistingFilter,
  encodeMapping,
  logGroupOfArn,
  MAX_FILTERS_PER_GROUP,
  mergeWatchedStages,
  planSubscriptions,
  type StageDescription,
  type SubscriptionPlan,
  watchedGroupsOf,
} from '../../lambda/core/discovery.js';
import { accessLogFilterPattern, executionLogFilterPattern } from '../../lib/filter-patterns.js';

const ARN = (name: string) => `arn:aws:logs:eu-west-1:123456789012:log-group:${name}`;
const MONITOR = 'arn:aws:lambda:eu-west-1:123456789012:function:monitor';
const PREFIX = DEFAULT_FILTER_NAME_PREFIX;

describe('logGroupOfArn', () => {
  it.each([
    [ARN('/aws/apigateway/a/prod'), '/aws/apigateway/a/prod'],
    [`${ARN('/aws/apigateway/a/prod')}:*`, '/aws/apigateway/a/prod'],
    ['arn:aws-cn:logs:cn-north-1:123456789012:log-group:x', 'x'],
    ['arn:aws:firehose:eu-west-1:123456789012:deliverystream/x', undefined],
    ['arn:aws:logs:eu-west-1:123456789012:log-group:', undefined],
    ['not an arn', undefined],
  ])('%s -> %s', (arn, name) => expect(logGroupOfArn(arn)).toBe(name));
});

describe('discoveredStages and desiredFilters', () => {
  const described: StageDescription[] = [
    {
      kind: 'rest',
      apiId: 'a1b2c3d4e5',
      stage: 'prod',
      accessLogDestinationArn: ARN('/shared'),
      accessLogFormat: recommendedAccessLogFormat('rest'),
      executionLogging: true,
    },
    { kind: 'rest', apiId: 'a1b2c3d4e5', stage: 'exec', executionLogging: true },
    { kind: 'rest', apiId: 'a1b2c3d4e5', stage: 'silent' },
    {
      kind: 'http',
      apiId: 'f6g7h8i9j0',
      stage: '$default',
      accessLogDestinationArn: ARN('/shared'),
      accessLogFormat: '$context.requestId $context.status',
    },
    {
      kind: 'websocket',
      apiId: 'w1s2o3c4k5',
      stage: 'prod',
      accessLogDestinationArn: ARN('/ws'),
      executionLogging: true,
    },
    { kind: 'http', apiId: 'x1x2x3x4x5', stage: 'prod', accessLogDestinationArn: ARN('/excluded') },
  ];
  const stages = discoveredStages(described, new Set(['x1x2x3x4x5']));

  it('keeps the stages that log, leaves out excluded APIs, and reads execution logging on REST stages only', () => {
    expect(stages).toEqual([
      { kind: 'rest', apiId: 'a1b2c3d4e5', stage: 'exec', executionLogs: true },
      { kind: 'rest', apiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/shared', executionLogs: true },
      {
        kind: 'http',
        apiId: 'f6g7h8i9j0',
        stage: '$default',
        accessLogGroup: '/shared',
        executionLogs: false,
      },
      { kind: 'websocket', apiId: 'w1s2o3c4k5', stage: 'prod', accessLogGroup: '/ws', executionLogs: false },
    ]);
  });

  it('gives a shared group of two formats the text pattern, an unknown format the text pattern, and an execution group only without an access log', () => {
    expect(Object.fromEntries(desiredFilters(described, stages))).toEqual({
      'API-Gateway-Execution-Logs_a1b2c3d4e5/exec': executionLogFilterPattern(),
      '/shared': accessLogFilterPattern({ format: 'text' }),
      '/ws': accessLogFilterPattern({ format: 'text' }),
    });
  });
});

describe('planSubscriptions', () => {
  const plan = (described: Record<string, ExistingFilter[] | 'missing'>, desired: Record<string, string>) =>
    planSubscriptions({
      desired: new Map(Object.entries(desired)),
      described: new Map(Object.entries(described)),
      destinationArn: MONITOR,
      filterNamePrefix: PREFIX,
    });
  const foreign = (filterName: string): ExistingFilter => ({
    filterName,
    destinationArn: 'arn:aws:firehose:x',
    filterPattern: '',
  });
  const ours = (filterPattern: string, filterName = PREFIX): ExistingFilter => ({
    filterName,
    destinationArn: MONITOR,
    filterPattern,
  });

  it.each([
    [
      'a free group gets our filter',
      { g: [] },
      { g: 'p' },
      { put: [{ logGroup: 'g', filterName: PREFIX, filterPattern: 'p' }], subscribed: ['g'] },
    ],
    [
      'one foreign filter: ours takes the second slot',
      { g: [foreign('siem')] },
      { g: 'p' },
      { put: [{ logGroup: 'g', filterName: PREFIX, filterPattern: 'p' }] },
    ],
    [
      'two foreign filters: reported full, untouched',
      { g: [foreign('a'), foreign('b')] },
      { g: 'p' },
      { put: [], remove: [], full: [{ logGroup: 'g', filters: ['a', 'b'] }], released: ['g'] },
    ],
    [
      'ours with the same pattern: nothing to do',
      { g: [ours('p')] },
      { g: 'p' },
      { put: [], remove: [], subscribed: ['g'] },
    ],
    [
      'ours with another pattern: updated in place',
      { g: [ours('old'), foreign('a')] },
      { g: 'p' },
      { put: [{ logGroup: 'g', filterName: PREFIX, filterPattern: 'p' }], remove: [] },
    ],
    [
      'no longer desired: ours removed, foreign kept',
      { g: [ours('p'), foreign('a')] },
      {},
      { put: [], remove: [{ logGroup: 'g', filterName: PREFIX }], released: ['g'] },
    ],
    [
      'the construct already subscribes it: ours is redundant',
      { g: [ours('p'), { filterName: 'Monitor-FilterX', destinationArn: MONITOR }] },
      { g: 'p' },
      { put: [], remove: [{ logGroup: 'g', filterName: PREFIX }], subscribed: [] },
    ],
    [
      'a foreign filter holds our name: ours takes another',
      { g: [{ filterName: PREFIX, destinationArn: 'arn:aws:firehose:x' }] },
      { g: 'p' },
      { put: [{ logGroup: 'g', filterName: `${PREFIX}-1`, filterPattern: 'p' }] },
    ],
    [
      'a group that does not exist yet',
      { g: 'missing' as const },
      { g: 'p' },
      { put: [], missing: ['g'], released: ['g'] },
    ],
  ])('%s', (_name, described, desired, expected) => {
    expect(plan(described, desired)).toMatchObject(expected);
  });

  const filterArb = fc.record({
    filterName: fc.oneof(
      fc.constant(PREFIX),
      fc.constant(`${PREFIX}-1`),
      fc.constantFrom('siem', 'archive', 'Monitor-Filter'),
    ),
    destinationArn: fc.constantFrom(MONITOR, 'arn:aws:firehose:x'),
    filterPattern: fc.constantFrom('', 'p', 'q'),
  });
  const groupsArb = fc.dictionary(
    fc.constantFrom('a', 'b', 'c', 'd'),
    fc.oneof(
      fc.constant('missing' as const),
      fc.uniqueArray(filterArb, { maxLength: 2, selector: (filter) => filter.filterName }),
    ),
  );

  const isOurs = (filter: ExistingFilter) =>
    filter.destinationArn === MONITOR && (filter.filterName ?? '').startsWith(PREFIX);

  /** The invariants of one group's part of a plan. */
  function checkGroup(
    result: SubscriptionPlan,
    group: string,
    filters: readonly ExistingFilter[],
    wanted: boolean,
  ) {
    const removed = new Set(
      result.remove.filter((entry) => entry.logGroup === group).map((entry) => entry.filterName),
    );
    const puts = result.put.filter((entry) => entry.logGroup === group);
    for (const filter of filters.filter((entry) => !isOurs(entry))) {
      expect(removed.has(filter.filterName ?? '')).toBe(false);
      expect(puts.some((entry) => entry.filterName === filter.filterName)).toBe(false);
    }
    const after = new Map<string | undefined, string | undefined>(
      filters
        .filter((filter) => !removed.has(filter.filterName ?? ''))
        .map((filter) => [filter.filterName, filter.destinationArn]),
    );
    for (const entry of puts) after.set(entry.filterName, MONITOR);
    expect(after.size).toBeLessThanOrEqual(MAX_FILTERS_PER_GROUP);
    const toMonitor = [...after.values()].filter((arn) => arn === MONITOR).length;
    const freeSlot = filters.filter((filter) => !isOurs(filter)).length < MAX_FILTERS_PER_GROUP;
    if (wanted && freeSlot) expect(toMonitor).toBe(1);
    if (!wanted)
      expect([...after].filter(([name, arn]) => arn === MONITOR && (name ?? '').startsWith(PREFIX))).toEqual(
        [],
      );
  }

  it('never touches a foreign filter, never goes past two filters, and leaves each desired group delivering once', () => {
    fc.assert(
      fc.property(
        groupsArb,
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.constantFrom('p', 'q')),
        (described, desired) => {
          const result = plan(described, desired);
          for (const [group, filters] of Object.entries(described)) {
            if (filters !== 'missing') checkGroup(result, group, filters, group in desired);
          }
        },
      ),
    );
  });
});

describe('the stored mapping', () => {
  const mapping: DiscoveryMapping = {
    version: 1,
    generatedAt: 1_700_000_000_000,
    stages: [
      { kind: 'rest', apiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/g', executionLogs: false },
    ],
  };

  it('round-trips, and a damaged or foreign item is not trusted', () => {
    expect(decodeMapping(encodeMapping(mapping))).toEqual(mapping);
    expect(decodeMapping(undefined)).toBeUndefined();
    expect(decodeMapping('{')).toBeUndefined();
    expect(decodeMapping('null')).toBeUndefined();
    expect(decodeMapping(JSON.stringify({ ...mapping, version: 2 }))).toBeUndefined();
    expect(
      decodeMapping(JSON.stringify({ ...mapping, stages: [{ apiId: 1 }, ...mapping.stages] }))?.stages,
    ).toEqual(mapping.stages);
  });

  it('refuses a mapping that would not fit one item, with the way out', () => {
    const huge = {
      ...mapping,
      stages: Array.from({ length: 5000 }, (_, i) => ({
        ...mapping.stages[0],
        stage: `s${i}`,
        accessLogGroup: `/aws/apigateway/${'x'.repeat(60)}/${i}`,
      })),
    } as DiscoveryMapping;
    expect(() => encodeMapping(huge)).toThrow(/excludeApiIds/);
  });

  it('merges with the listed stages: a listed stage wins where both name it', () => {
    const listed = [{ apiId: 'a1b2c3d4e5', stage: 'prod', accessLogGroup: '/listed', executionLogs: true }];
    const discovered = [
      ...mapping.stages,
      {
        kind: 'http' as const,
        apiId: 'f6g7h8i9j0',
        stage: '$default',
        accessLogGroup: '/http',
        executionLogs: false,
      },
    ];
    const merged = mergeWatchedStages(
      listed,
      discovered,
      ({ apiId, stage, accessLogGroup, executionLogs }) => ({
        apiId,
        stage,
        accessLogGroup: accessLogGroup ?? '',
        executionLogs,
      }),
    );
    expect(merged).toEqual([
      listed[0],
      { apiId: 'f6g7h8i9j0', stage: '$default', accessLogGroup: '/http', executionLogs: false },
    ]);
    expect([...watchedGroupsOf(merged)].sort()).toEqual([
      '/http',
      '/listed',
      'API-Gateway-Execution-Logs_a1b2c3d4e5/prod',
    ]);
  });
});

describe('MappingCache', () => {
  function cache(reads: (() => Promise<DiscoveryMapping | undefined>)[]) {
    let clock = 0;
    let calls = 0;
    const instance = new MappingCache(
      () => {
        const read = reads[Math.min(calls, reads.length - 1)] as () => Promise<DiscoveryMapping | undefined>;
        calls += 1;
        return read();
      },
      (mapping) => new Set(mapping?.stages.map((stage) => stage.accessLogGroup ?? '')),
      (groups, group) => groups.has(group),
      () => clock,
    );
    return { instance, advance: (ms: number) => (clock += ms), calls: () => calls };
  }
  const withGroup = (group: string): DiscoveryMapping => ({
    version: 1,
    generatedAt: 0,
    stages: [{ kind: 'http', apiId: 'a', stage: 's', accessLogGroup: group, executionLogs: false }],
  });

  it('reads once per time to live, and again early (at most every few seconds) for a group it does not know', async () => {
    const { instance, advance, calls } = cache([
      async () => withGroup('/old'),
      async () => withGroup('/new'),
    ]);
    expect((await instance.lookup('/old')).has('/old')).toBe(true);
    await instance.lookup('/old');
    await instance.lookup('/new');
    expect(calls()).toBe(1);
    advance(MAPPING_MISS_REFRESH_MS);
    expect((await instance.lookup('/new')).has('/new')).toBe(true);
    await instance.lookup('/unknown');
    expect(calls()).toBe(2);
    advance(MAPPING_CACHE_MS);
    await instance.lookup('/new');
    expect(calls()).toBe(3);
  });

  it('keeps the last copy when a read fails, and fails when it has none', async () => {
    const failing = async () => {
      throw new Error('DynamoDB down');
    };
    await expect(cache([failing]).instance.lookup('/g')).rejects.toThrow('DynamoDB down');
    const { instance, advance } = cache([async () => withGroup('/g'), failing]);
    await instance.lookup('/g');
    advance(MAPPING_CACHE_MS);
    expect((await instance.lookup('/g')).has('/g')).toBe(true);
  });
});

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, STATE_TABLE, startLocalAws } from '../../cli/peers/local-aws.js';
import { MAX_GROUPS_IN_FLIGHT } from '../../lambda/monitor.js';
import { alertGroupsBatch, largestItem } from '../fixtures/state-table.js';

/**
 * The alert path's concurrency is bounded whatever a batch holds. (100,000 batches of one group, and
 * a 10,000-group batch's time, run in `npm run test:soak`: test/soak/bounded-state.soak.test.ts.)
 */

let local: LocalAws;
const START = Date.parse('2026-11-30T00:00:00Z');

beforeAll(async () => {
  local = await startLocalAws();
  Object.assign(process.env, local.env, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
});

afterAll(async () => {
  await local?.stop();
});

describe('bounded work per invocation', () => {
  it('a batch of 100 groups keeps at most 16 DynamoDB and 16 SNS requests in flight', async () => {
    const GROUPS = 100;
    local.snsProxy.resetInFlight();
    local.dynamoProxy.resetInFlight();
    const summary = await alertGroupsBatch(GROUPS, START, new DynamoDBClient({}), STATE_TABLE);
    expect(summary.outcomes.filter((outcome) => outcome.action === 'alert')).toHaveLength(GROUPS);
    // Unbounded, these 100 groups had 23 DynamoDB requests in flight at once on this machine.
    expect(MAX_GROUPS_IN_FLIGHT).toBe(16);
    expect(local.snsProxy.maxInFlight).toBeLessThanOrEqual(16);
    expect(local.dynamoProxy.maxInFlight).toBeLessThanOrEqual(16);
    // Every item stays small: 100 group items and one batch record. A group item is 1,777 bytes (2
    // write units; 993, 1 unit, before its hour rings grew to hold a weekday digest's weekend).
    const largest = await largestItem(new DynamoDBClient({ endpoint: local.dynamoEndpoint }), STATE_TABLE);
    expect(largest).toMatchObject({ items: GROUPS + 1 });
    expect(largest.size).toBeLessThan(2_048);
  });
});

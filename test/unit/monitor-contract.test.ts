import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { monitorConfig } from '../../lambda/adapters/env-config.js';
import { forwarderConfig } from '../../lambda/adapters/forwarder-config.js';
import {
  forwarderEnvironment,
  MONITOR_ENV,
  monitorEnvironment,
  parseWatchedStages,
  type WatchedStageInput,
} from '../../lambda/core/monitor-contract.js';
import { DEFAULT_REALERT_MINUTES } from '../../lambda/core/noise-policy.js';

const REQUIRED = { topicArn: 'arn:aws:sns:us-east-1:111111111111:alerts', stateTableName: 'state' };

describe('the monitor environment, written and read through one contract', () => {
  const stage = fc.record(
    {
      apiId: fc.string({ minLength: 1 }),
      stage: fc.string({ minLength: 1 }),
      accessLogGroup: fc.string(),
      executionLogs: fc.boolean(),
    },
    { requiredKeys: ['apiId', 'stage'] },
  );

  it('reads back every value a writer gives', () => {
    fc.assert(
      fc.property(
        fc.array(stage, { maxLength: 5 }),
        fc.integer({ min: 1, max: 1_000 }),
        (stages: WatchedStageInput[], realertMinutes) => {
          const config = monitorConfig(
            monitorEnvironment({
              ...REQUIRED,
              watchedStages: stages,
              noisePolicy: JSON.stringify({ realertMinutes }),
              metricNamespace: 'Ns',
            }),
          );
          expect(config).toMatchObject({
            ...REQUIRED,
            noisePolicy: { realertMinutes },
            metricNamespace: 'Ns',
          });
          expect(config.watchedStages).toEqual(
            stages.map((entry) => ({ ...entry, executionLogs: entry.executionLogs ?? false })),
          );
        },
      ),
    );
  });

  it('writes only the values given, so the reader applies its defaults', () => {
    expect(monitorEnvironment(REQUIRED)).toEqual({
      [MONITOR_ENV.topicArn]: REQUIRED.topicArn,
      [MONITOR_ENV.stateTableName]: REQUIRED.stateTableName,
    });
    expect(monitorConfig(monitorEnvironment(REQUIRED))).toMatchObject({
      noisePolicy: { realertMinutes: DEFAULT_REALERT_MINUTES, defaults: { action: 'alert' } },
    });
  });

  it('serialises the lists with the given serialiser (the construct passes Stack.toJsonString)', () => {
    const env = monitorEnvironment(
      { watchedStages: [{ apiId: 'a', stage: 'b' }], sourceAccounts: ['111111111111'] },
      (value) => `tokens:${JSON.stringify(value)}`,
    );
    expect(env[MONITOR_ENV.watchedStages]).toBe('tokens:[{"apiId":"a","stage":"b","executionLogs":false}]');
    expect(env[MONITOR_ENV.sourceAccounts]).toBe('tokens:["111111111111"]');
  });

  it('keeps an entry to the keys the reader knows', () => {
    const extra = { apiId: 'a', stage: 'b', other: 'x' } as WatchedStageInput;
    expect(
      JSON.parse(monitorEnvironment({ watchedStages: [extra] })[MONITOR_ENV.watchedStages] ?? ''),
    ).toEqual([{ apiId: 'a', stage: 'b', executionLogs: false }]);
  });

  it.each([
    ['{', 'is not JSON'],
    ['{}', 'must be a JSON array'],
    ['[{"apiId":"a","stage":"b"},null]', '[1] needs string apiId and stage'],
    ['[{"apiId":"","stage":"b"}]', '[0] needs string apiId and stage'],
  ])('names what is wrong in %s', (raw, what) => {
    const problem = `${MONITOR_ENV.watchedStages}${what.startsWith('[') ? '' : ' '}${what}`;
    expect(parseWatchedStages(raw)).toEqual({ ok: false, problem });
    expect(() =>
      monitorConfig({ ...monitorEnvironment(REQUIRED), [MONITOR_ENV.watchedStages]: raw }),
    ).toThrow(`configuration: ${problem}`);
  });

  // zod/mini carries no messages: these are the English ones parseNoisePolicy passes, not "Invalid input".
  it.each([
    ['{"windowMinutez":5}', 'Unrecognized key: "windowMinutez"'],
    ['{"mute":[{"userAgentContains":"zgrab","reason":5}]}', 'mute.0.reason: Invalid input: expected string'],
    ['{"digest":"yes"}', 'digest: Invalid input: expected boolean, received string'],
    ['{"digestTimezone":""}', 'digestTimezone: "" is not an IANA time zone. Example: "Europe/Paris"'],
    ['{"overrides":[{"realertMinutes":5}]}', 'overrides.0: Unrecognized key: "realertMinutes"'],
    ['{"windowMinutes":0}', 'windowMinutes: windowMinutes must be at least 1. Example: 5'],
  ])('says what is wrong in the noise policy %s', (raw, what) => {
    expect(() => monitorConfig({ ...monitorEnvironment(REQUIRED), [MONITOR_ENV.noisePolicy]: raw })).toThrow(
      `configuration: ${MONITOR_ENV.noisePolicy}: ${what}`,
    );
  });

  it('gives the forwarder its secret ARN under the name it reads', () => {
    expect(forwarderConfig(forwarderEnvironment({ webhookSecretArn: 'arn:x' }))).toEqual({
      webhookSecretArn: 'arn:x',
    });
  });
});

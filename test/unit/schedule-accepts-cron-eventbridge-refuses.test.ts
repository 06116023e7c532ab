import { describe, expect, it } from 'vitest';
import { firings, ScheduleError } from '../../cli/scenario/schedule.js';
import { parseNoisePolicy } from '../../lambda/core/noise-policy.js';

// EventBridge cron reference: "You can't use * in both the Day-of-month and Day-of-week fields. If you
// use it in one, you must use ? in the other." (and `?` exists only in those two fields). The policy
// schema and the simulated clock both take such an expression, so `npm start --config` replays a daily
// digest that `cdk deploy` then fails to create (CloudFormation: ScheduleExpression is not valid).
const invalid = ['cron(0 8 * * * *)', 'cron(0 8 1 * MON *)', 'cron(? 8 * * ? *)'];

describe('digestSchedule expressions EventBridge refuses', () => {
  it.each(invalid)('the simulated clock refuses %s in one line', (expression) => {
    expect(() => firings(expression, 'UTC')).toThrow(ScheduleError);
  });
  // The deploy-time schema is only /^(cron|rate)\(.+\)$/: even what the simulated clock refuses
  // (`rate(0 minutes)`, `rate(5 weeks)`, `cron(nonsense)`) synthesises and fails at deploy.
  it.each([...invalid, 'rate(0 minutes)', 'rate(5 weeks)', 'cron(nonsense)'])(
    'the noise policy (deploy-time config) refuses %s',
    (expression) => {
      expect(parseNoisePolicy({ digestSchedule: expression }).ok).toBe(false);
    },
  );
});

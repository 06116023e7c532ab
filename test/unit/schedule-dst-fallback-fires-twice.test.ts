import { describe, expect, it } from 'vitest';
import { firings } from '../../cli/scenario/schedule.js';

// AWS (EventBridge Scheduler, "Daylight saving time"): "When the time shifts back in the Fall, your
// schedule runs only once and doesn't repeat its invocation." The simulated clock matches the wall
// clock minute by minute, so 01:30 on the fall-back night matches twice and the digest runs twice.
describe('simulated digest schedule across DST fall-back', () => {
  it('cron(30 1 * * ? *) in America/New_York fires once on 2026-11-01', () => {
    const fire = firings('cron(30 1 * * ? *)', 'America/New_York');
    const times = fire(Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-11-01T12:00:00Z'));
    expect(times.map((t) => new Date(t).toISOString())).toHaveLength(1);
  });

  it('cron(0 1 * * ? *) in Europe/London fires once on 2026-10-25', () => {
    const fire = firings('cron(0 1 * * ? *)', 'Europe/London');
    const times = fire(Date.parse('2026-10-24T12:00:00Z'), Date.parse('2026-10-25T12:00:00Z'));
    expect(times).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { digestTimes, firings } from '../../cli/scenario/schedule.js';
import { MAX_EVENT_TIME_MS } from '../../lambda/core/decode.js';

// The decoder accepts any |timestamp| <= MAX_EVENT_TIME_MS (8.64e15 - 24 h). The replay sweeps the
// schedule up to last + 24 h + 1 h, past the end of Date's range; in a non-UTC zone Intl formatting
// throws RangeError there. End to end: `npm start -- --input far.json --config paris.json --report r`
// (one WAF line at MAX_EVENT_TIME_MS, noisePolicy.digestTimezone "Europe/Paris") starts the peers and
// dies with "npm start: Invalid time value", exit 1, nothing of the replay reported.
describe("simulated digest schedule at the decoder's last accepted event time", () => {
  it('digestTimes does not throw for an event the decoder accepted (Europe/Paris)', () => {
    const fire = firings('cron(0 8 * * ? *)', 'Europe/Paris');
    expect(() => digestTimes(fire, MAX_EVENT_TIME_MS, MAX_EVENT_TIME_MS)).not.toThrow();
  });
});

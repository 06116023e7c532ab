import { describe, expect, it } from 'vitest';
import { DAY_API, DAY_END, DAY_START } from '../../cli/scenario/day.js';
import { DETECT_WITHIN_MINUTES, runDay } from '../../cli/scenario/run-day.js';

/**
 * `npm start -- --scenario day`: the simulated day through the real handler on the peers, with the
 * default policy. The targets of issue 11, asserted from the report the run writes.
 */
describe('the simulated day', () => {
  it('alerts every incident within 5 minutes, at most 12 alert messages against ~290 cooldown-only', async () => {
    const printed: string[] = [];
    const report = await runDay((text) => printed.push(text));
    for (const incident of report.incidents) {
      expect(incident.noisePolicy, incident.name).toMatchObject({ caught: true });
      expect(incident.noisePolicy.minutes ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(
        DETECT_WITHIN_MINUTES,
      );
    }
    expect(report.incidents).toHaveLength(3);
    expect(report.totals.noisePolicy.alerts).toBeLessThanOrEqual(12);
    expect(report.totals.cooldownOnly.alerts).toBeGreaterThan(250);
    // Each background group alerts once, as new, when the day starts; never again.
    for (const group of report.background) {
      const [stage, category] = group.split('/');
      const alerts = report.messages.filter(
        (message) => message.stage === stage && message.category === category,
      );
      expect(
        alerts.map((alert) => alert.lifecycle),
        group,
      ).toEqual(category === 'INVALID_API_KEY' ? ['new', 'escalated'] : ['new']);
    }
    const alerts = report.messages.filter((message) => message.kind === 'alert');
    const digests = report.messages.filter((message) => message.kind === 'digest');
    expect(alerts).toHaveLength(report.totals.noisePolicy.alerts);
    // Every message has its simulated time inside the day, its kind, where, and why.
    for (const message of report.messages) {
      expect(Date.parse(message.at)).toBeGreaterThanOrEqual(DAY_START);
      expect(Date.parse(message.at)).toBeLessThanOrEqual(DAY_END);
      expect(message).toMatchObject({ apiId: DAY_API, reason: expect.any(String) });
    }
    const deploy = alerts.find((message) => message.category === 'AUTHORIZER_POLICY_MISMATCH');
    // Deploy-aware: the deployment the lines carry. Right after st4g3b2 on staging, and on prod, three
    // days after pr0d7c1, the same words: where the group was first seen, never that it came after or from it.
    expect(deploy?.reason).toMatch(/, first seen in deployment st4g3b2$/);
    const prodNew = alerts.filter((message) => message.stage === 'prod' && message.lifecycle === 'new');
    expect(prodNew.map((message) => message.reason)).toEqual(
      prodNew.map(
        () => 'New: first 403 of this category for this stage in 24 h, first seen in deployment pr0d7c1',
      ),
    );
    for (const message of alerts) expect(message.reason).not.toMatch(/after deployment|caused/);
    // The digest ran once, at 08:00 UTC (the default schedule), through the real digest function:
    // one per stage, naming every background group with its day's count, muted count and alerts.
    expect(report.digestRuns).toEqual([new Date(DAY_END).toISOString()]);
    expect(digests.map((digest) => [digest.at, digest.stage]).sort()).toEqual([
      [new Date(DAY_END).toISOString(), 'prod'],
      [new Date(DAY_END).toISOString(), 'staging'],
    ]);
    expect(report.totals.noisePolicy.digests).toBe(2);
    for (const group of report.background) {
      const [stage, category] = group.split('/');
      const line = digests
        .find((digest) => digest.stage === stage)
        ?.groups?.find((g) => g.category === category);
      expect(line, group).toMatchObject({
        mutedCount: 0,
        alertsSent: category === 'INVALID_API_KEY' ? 2 : 1,
      });
      // The background's 403s of the day (the rotated key's incident shares INVALID_API_KEY).
      const sent = report.sent[group] ?? 0;
      expect(line?.count, group).toBe(sent);
    }
    // The incidents' groups are in their stage's digest too.
    for (const incident of report.incidents)
      expect(
        digests.find((digest) => digest.stage === incident.stage)?.groups?.map((g) => g.category),
      ).toContain(incident.category);
    // The timeline a person reads: one row per hour, the digests at the end, and the side by side.
    expect(printed.filter((line) => /^ {2}\d\d:00 +\d+ +\d+ /.test(line))).toHaveLength(24);
    const text = printed.join('\n');
    expect(text).toMatch(/^ {2}08:00 +\+1 +digest prod$/m);
    expect(text).toMatch(/^ {4}08:00 digest staging: \d+ 403s in 2 groups, 0 muted$/m);
    expect(text).toMatch(/alert messages in the day +\d{3} +\d{1,2}\n/);
    expect(text).toMatch(/digests \(one per stage, 08:00 UTC\) +0 +2\n/);
  });
});

import { describe, expect, it } from 'vitest';
import { cooldownOnlyAlerts } from '../../cli/scenario/cooldown-only.js';
import { logsDocument, subscriptionEvent } from '../../cli/scenario/payload.js';
import { timelineSteps } from '../../cli/scenario/timeline.js';
import { wafAccessLine } from '../fixtures/monitor-peers.js';

const MINUTE = 60_000;
const T = Date.parse('2026-11-30T10:00:00Z');

describe('the simulated clock', () => {
  it('orders deliveries by their events’ time and puts the sweeps and digests between them', () => {
    const steps = timelineSteps(
      [
        { label: 'late', at: T + 20 * MINUTE, event: {} },
        { label: 'early', at: T + 2 * MINUTE, event: {} },
        { label: 'on the sweep', at: T + 15 * MINUTE, event: {} },
      ],
      { sweepEveryMs: 15 * MINUTE, digestAt: [T + 15 * MINUTE], end: T + 31 * MINUTE },
    );
    expect(
      steps.map((step) => [
        (step.at - T) / MINUTE,
        step.kind === 'delivery' ? step.delivery.label : step.kind,
      ]),
    ).toEqual([
      [2, 'early'],
      [15, 'on the sweep'],
      [15, 'sweep'],
      [15, 'digest'],
      [20, 'late'],
      [30, 'sweep'],
    ]);
  });
});

describe('the cooldown-only rule, simulated for the comparison', () => {
  const delivery = (minute: number, apiId = 'c00ld0wn01') => ({
    label: `m${minute}`,
    at: T + minute * MINUTE,
    event: subscriptionEvent(
      logsDocument(`/aws/apigateway/${apiId}/prod`, [
        { timestamp: T + minute * MINUTE, message: wafAccessLine(apiId, 'prod', `r-${apiId}-${minute}`) },
      ]),
    ),
  });

  it('alerts a group again once 15 minutes have passed since its last alert, each group on its own', () => {
    const alerts = cooldownOnlyAlerts(
      [0, 5, 14, 15, 29, 31].map((minute) => delivery(minute)).concat(delivery(5, 'other00001')),
    );
    expect(alerts.map((alert) => (alert.at - T) / MINUTE)).toEqual([0, 5, 15, 31]);
  });
});

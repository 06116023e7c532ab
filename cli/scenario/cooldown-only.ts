import { classifyIntoGroups, decodeSubscriptionEvent } from '../../lambda/core/index.js';
import type { TimedDelivery } from './timeline.js';

/**
 * What the cooldown-only monitor (before the noise policy) would have sent for the same deliveries:
 * every (API, stage, category) group alerts when it has not alerted for `cooldownMinutes`, at the
 * delivery's time (its rule with `minAlertCount` 1, the old default). A simulation of the old rule,
 * for the side-by-side comparison only.
 */
export interface OldAlert {
  readonly at: number;
  readonly stage: string;
  readonly category: string;
}

export function cooldownOnlyAlerts(deliveries: readonly TimedDelivery[], cooldownMinutes = 15): OldAlert[] {
  const last = new Map<string, number>();
  const alerts: OldAlert[] = [];
  for (const delivery of [...deliveries].sort((a, b) => a.at - b.at)) {
    const decoded = decodeSubscriptionEvent(delivery.event);
    if (decoded.kind !== 'data') continue;
    for (const group of classifyIntoGroups([decoded.document]).groups) {
      const key = `${group.apiId}/${group.stage}/${group.category}`;
      const previous = last.get(key);
      if (previous !== undefined && delivery.at - previous < cooldownMinutes * 60_000) continue;
      last.set(key, delivery.at);
      alerts.push({ at: delivery.at, stage: group.stage, category: group.category });
    }
  }
  return alerts;
}

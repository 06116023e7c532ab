/**
 * The noise policy's names that cross the Lambda boundary (the policy's environment variable, its
 * actions and lifecycles, the SNS routing attributes, the sweep event), in a module that builds no
 * schema: the environment contract (monitor-contract.ts), the forwarder's view checks and the
 * cold-start reference import them without loading the policy's validation (noise-policy.ts, which
 * re-exports them). Pure: no clock, no SDK.
 */

/** The monitor's and the digest function's environment variable holding the policy (JSON). */
export const NOISE_POLICY_ENV = 'NOISE_POLICY';

/**
 * What a group's 403s do: `page` and `alert` publish (with SNS attribute `action` so routes can page),
 * `digest` only counts them for the digest, `ignore` counts them in the metric only.
 */
export const ACTIONS = ['page', 'alert', 'digest', 'ignore'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Where a group stands. `new`: first 403 after `quietPeriodMinutes` without one. `ongoing`: seen and
 * not worse than usual. `escalated`: its last window is well above its own baseline or above the
 * threshold. `resolved`: no 403 for `resolveAfterMinutes`.
 */
export const LIFECYCLES = ['new', 'ongoing', 'escalated', 'resolved'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

/** The SNS message attributes routes filter on (subscription filter policies), beside the alert's own. */
export const ROUTING_ATTRIBUTES = {
  /** `alert` | `digest`. */
  kind: 'kind',
  /** `page` | `alert` (a digest has none). */
  action: 'action',
  /** A `Lifecycle` (a digest has none). */
  lifecycle: 'lifecycle',
} as const;

/**
 * The input of the schedule that resolves quiet groups (EventBridge Scheduler → the monitor function):
 * the monitor runs its sweep (`runSweep` in lambda/monitor.ts) when invoked with exactly this object.
 */
export const SWEEP_EVENT = { apigw403: 'sweep' } as const;
/** How often the sweep should run: a group resolves at most this long after its resolveAfterMinutes. */
export const DEFAULT_SWEEP_MINUTES = 15;
export const DEFAULT_SWEEP_SCHEDULE = `rate(${DEFAULT_SWEEP_MINUTES} minutes)`;

export const MESSAGE_KINDS = ['alert', 'digest'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

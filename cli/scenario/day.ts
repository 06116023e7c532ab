import type { WatchedStage } from '../../lambda/adapters/env-config.js';
import type { Category } from '../../lambda/core/index.js';
import { accessLine, logsDocument, timedDelivery } from './payload.js';
import type { TimedDelivery } from './timeline.js';

/**
 * `npm start -- --scenario day`: one simulated day (08:00 to 08:00 UTC, so the default daily digest
 * at 08:00 closes it) on two stages of one REST API, in the recommended JSON access format with
 * `$context.deploymentId`. Background noise all day: scanners on unknown paths and a partner with a
 * stale API key on prod, clients with skewed clocks on staging. Three incidents: a new category, an
 * escalation of a background category, and a new category right after a deployment.
 */

export const DAY_API = 'd4yr3st4p1';
export const DAY_START = Date.parse('2026-11-30T08:00:00Z');
export const DAY_END = DAY_START + 24 * 60 * 60_000;
const MINUTE = 60_000;

export const DAY_STAGES: readonly WatchedStage[] = ['prod', 'staging'].map((stage) => ({
  apiId: DAY_API,
  stage,
  accessLogGroup: `/aws/apigateway/${DAY_API}/${stage}`,
  executionLogs: false,
}));

export interface Incident {
  readonly name: string;
  readonly stage: string;
  readonly category: Category;
  readonly start: number;
}

export interface Day {
  readonly deliveries: readonly TimedDelivery[];
  readonly incidents: readonly Incident[];
  /** The background groups (what the digest should name), as `stage/category`. */
  readonly background: readonly string[];
  /** 403s sent per `stage/category`. */
  readonly sent: Readonly<Record<string, number>>;
  readonly deployments: Readonly<Record<string, readonly { at: number; id: string }[]>>;
}

type Fields = Record<string, unknown>;

const gateway = (responseType: string, message: string): Fields => ({
  error: { message, responseType },
});

/** What a request of each cause looks like in the access log (besides its identity). */
const CAUSES = {
  scanner: {
    category: 'ROUTE_NOT_FOUND',
    fields: (n: number) => ({
      ...gateway('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token'),
      resourcePath: '-',
      path: `/prod${['/wp-admin/setup.php', '/.env', '/phpmyadmin/index.php', '/actuator/health'][n % 4]}`,
      identity: { sourceIp: `198.51.100.${60 + (n % 5)}`, userAgent: ['zgrab/0.x', 'masscan/1.3'][n % 2] },
    }),
  },
  staleKey: {
    category: 'INVALID_API_KEY',
    fields: () => ({
      ...gateway('INVALID_API_KEY', 'Forbidden'),
      identity: { sourceIp: '203.0.113.50', userAgent: 'partner-sync/2.4', apiKeyId: 'p4rtn3rk3y' },
    }),
  },
  skewedClock: {
    category: 'SIGNATURE_EXPIRED',
    fields: (n: number) => ({
      ...gateway(
        'INVALID_SIGNATURE',
        'Signature expired: 20261130T101500Z is now earlier than 20261130T103100Z (20261130T104600Z - 15 min.)',
      ),
      identity: { sourceIp: `192.0.2.${20 + (n % 7)}`, userAgent: 'aws-sdk-java/1.12.0' },
    }),
  },
  authorizerDeny: {
    category: 'AUTHORIZER_EXPLICIT_DENY',
    fields: (n: number) => ({
      ...gateway('ACCESS_DENIED', 'User is not authorized to access this resource with an explicit deny'),
      identity: { sourceIp: `203.0.113.${100 + (n % 40)}`, userAgent: 'okhttp/4.12.0' },
    }),
  },
  rotatedKey: {
    category: 'INVALID_API_KEY',
    fields: (n: number) => ({
      ...gateway('INVALID_API_KEY', 'Forbidden'),
      identity: {
        sourceIp: `203.0.113.${150 + (n % 30)}`,
        userAgent: 'mobile-app/7.2',
        apiKeyId: 'm0b1l3k3y9',
      },
    }),
  },
  policyMismatch: {
    category: 'AUTHORIZER_POLICY_MISMATCH',
    fields: (n: number) => ({
      ...gateway('ACCESS_DENIED', 'User is not authorized to access this resource'),
      resourcePath: '/orders/{id}',
      path: `/staging/orders/${1000 + n}`,
      identity: { sourceIp: `192.0.2.${100 + (n % 20)}`, userAgent: 'qa-suite/1.0' },
    }),
  },
} as const satisfies Record<string, { category: Category; fields: (n: number) => Fields }>;

type Cause = keyof typeof CAUSES;

/** A small deterministic generator, so the day is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export function buildDay(): Day {
  const next = random(11);
  const sent: Record<string, number> = {};
  let request = 0;
  const deployments = {
    prod: [{ at: DAY_START - 3 * 24 * 60 * MINUTE, id: 'pr0d7c1' }],
    staging: [
      { at: DAY_START - 24 * 60 * MINUTE, id: 'st4g3a1' },
      { at: DAY_START + 10 * 60 * MINUTE, id: 'st4g3b2' },
    ],
  } as const;
  const deploymentAt = (stage: 'prod' | 'staging', at: number) =>
    [...deployments[stage]].reverse().find((entry) => entry.at <= at)?.id ?? 'unknown';

  const lines = (stage: 'prod' | 'staging', cause: Cause, from: number, count: number, spreadMs: number) =>
    Array.from({ length: count }, () => {
      request += 1;
      const timestamp = from + Math.floor(next() * spreadMs);
      const { category, fields } = CAUSES[cause];
      sent[`${stage}/${category}`] = (sent[`${stage}/${category}`] ?? 0) + 1;
      const message = accessLine(
        {
          requestId: `da7e0000-0000-4000-8000-${String(request).padStart(12, '0')}`,
          apiId: DAY_API,
          stage,
          timestamp,
        },
        { deploymentId: deploymentAt(stage, timestamp), ...fields(request) },
      );
      return { timestamp, message };
    });

  const deliveries: TimedDelivery[] = [];
  /** A subscription delivery at the end of the span its lines were batched over. */
  const deliver = (
    stage: 'prod' | 'staging',
    label: string,
    at: number,
    events: { timestamp: number; message: string }[],
  ) => {
    const sorted = events.sort((a, b) => a.timestamp - b.timestamp);
    const document = logsDocument(`/aws/apigateway/${DAY_API}/${stage}`, sorted);
    deliveries.push(timedDelivery(label, document, at));
  };

  // Background: every 5 minutes all day, a delivery per stage (CloudWatch Logs batches a stage's lines).
  for (let at = DAY_START; at < DAY_END; at += 5 * MINUTE) {
    const end = at + 5 * MINUTE;
    deliver('prod', 'prod background', end, [
      ...lines('prod', 'scanner', at, 1 + Math.floor(next() * 3), 5 * MINUTE - 1),
      ...lines('prod', 'staleKey', at, 1 + Math.floor(next() * 3), 5 * MINUTE - 1),
    ]);
    deliver(
      'staging',
      'staging background',
      end,
      lines('staging', 'skewedClock', at, 1 + Math.floor(next() * 2), 5 * MINUTE - 1),
    );
  }

  const incidents: Incident[] = [
    {
      name: 'authorizer denies everyone (new category)',
      stage: 'prod',
      category: 'AUTHORIZER_EXPLICIT_DENY',
      start: DAY_START + 3 * 60 * MINUTE + 7 * MINUTE,
    },
    {
      name: 'mobile key rotated badly (escalation of INVALID_API_KEY)',
      stage: 'prod',
      category: 'INVALID_API_KEY',
      start: DAY_START + 6 * 60 * MINUTE + 32 * MINUTE,
    },
    {
      name: 'deployment st4g3b2 breaks /orders/{id} (new category after a deployment)',
      stage: 'staging',
      category: 'AUTHORIZER_POLICY_MISMATCH',
      start: DAY_START + 10 * 60 * MINUTE + 4 * MINUTE,
    },
  ];
  // Incidents: a delivery a minute while they last.
  const burst = (
    stage: 'prod' | 'staging',
    cause: Cause,
    start: number,
    minutes: number,
    perMinute: number,
  ) => {
    for (let minute = 0; minute < minutes; minute += 1)
      deliver(
        stage,
        `${stage} incident`,
        start + (minute + 1) * MINUTE,
        lines(stage, cause, start + minute * MINUTE, perMinute, MINUTE - 1),
      );
  };
  const [deny, rotation, deploy] = incidents;
  if (deny) burst('prod', 'authorizerDeny', deny.start, 20, 25);
  if (rotation) burst('prod', 'rotatedKey', rotation.start, 15, 60);
  if (deploy) burst('staging', 'policyMismatch', deploy.start, 30, 8);

  return {
    deliveries,
    incidents,
    background: ['prod/ROUTE_NOT_FOUND', 'prod/INVALID_API_KEY', 'staging/SIGNATURE_EXPIRED'],
    sent,
    deployments,
  };
}

/**
 * Routes: send some alerts and digests to destinations of their own (e-mail lists, Slack webhooks,
 * AWS Chatbot channels) by the SNS message attributes every message carries. Each route becomes SNS
 * subscriptions with a filter policy on those attributes (MessageAttributes scope): SNS does the
 * routing, no code of ours decides where a message goes.
 *
 * An AWS Chatbot channel subscribes a topic as a whole (its subscription takes no filter policy) and
 * SNS cannot subscribe a topic to a topic, so a route's channel gets a topic of its own, fed by a
 * relay function (lambda/chatbot-relay.ts) subscribed with the route's filter policy: the relay
 * publishes what SNS gives it again, and may publish to that topic only.
 */
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ROUTING_ATTRIBUTES } from '../lambda/core/noise-policy.js';
import type { ChatbotSlackChannel } from './apigw-403-monitor.js';

/** The message attributes a route can match, each against a list of accepted values. */
export const ROUTE_MATCH_KEYS = [
  'apiId',
  'stage',
  'category',
  'severity',
  ROUTING_ATTRIBUTES.action,
  ROUTING_ATTRIBUTES.kind,
  'account',
] as const;
export type RouteMatchKey = (typeof ROUTE_MATCH_KEYS)[number];

/**
 * What a route receives: a message whose attributes hold, for every key given, one of its values.
 * Digests carry `kind`, `apiId`, `stage` and `account` only, so a route matching `category`,
 * `severity` or `action` receives alerts only.
 */
export type RouteMatch = Readonly<Partial<Record<RouteMatchKey, readonly string[]>>>;

/**
 * SNS allows at most 150 combinations of values per filter policy (the product of the list lengths)
 * and 5 keys; the schema keeps routes inside both.
 */
export const MAX_FILTER_POLICY_COMBINATIONS = 150;
export const MAX_FILTER_POLICY_KEYS = 5;

/**
 * The attribute every monitor message (alert or digest) carries and CloudWatch alarm notifications
 * do not: the Slack forwarders render monitor messages only, as before routes existed.
 */
export const MONITOR_MESSAGE_ATTRIBUTE = 'apiId';

/** The filter policy of a route's subscriptions; `undefined` when the route matches everything. */
export function routeFilterPolicy(
  match: RouteMatch | undefined,
  { monitorMessagesOnly = false } = {},
): Record<string, sns.SubscriptionFilter> | undefined {
  const policy: Record<string, sns.SubscriptionFilter> = {};
  for (const key of ROUTE_MATCH_KEYS) {
    const values = match?.[key];
    if (values && values.length > 0)
      policy[key] = sns.SubscriptionFilter.stringFilter({ allowlist: [...values] });
  }
  if (monitorMessagesOnly && policy[MONITOR_MESSAGE_ATTRIBUTE] === undefined)
    policy[MONITOR_MESSAGE_ATTRIBUTE] = sns.SubscriptionFilter.existsFilter();
  return Object.keys(policy).length > 0 ? policy : undefined;
}

/** The number of value combinations SNS counts for a policy: the product of its lists' lengths. */
export function filterCombinations(match: RouteMatch | undefined): number {
  return ROUTE_MATCH_KEYS.reduce((product, key) => product * Math.max(1, match?.[key]?.length ?? 0), 1);
}

/** The keys a route's filter policy has: its match keys, and `apiId` for a Slack forwarder's. */
export function filterPolicyKeyCount(match: RouteMatch | undefined, monitorMessagesOnly: boolean): number {
  return Object.keys(routeFilterPolicy(match, { monitorMessagesOnly }) ?? {}).length;
}

/** One route: what it matches and where it sends it (at least one destination). */
export interface AlertRoute {
  /** Names the route's resources (letters, digits and `-`, unique among routes). */
  readonly name: string;
  /**
   * The messages the route receives (every listed key must hold one of its values).
   * @default - every message on the topic, CloudWatch alarm notifications included
   */
  readonly match?: RouteMatch;
  /**
   * E-mail addresses subscribed with the route's filter policy.
   * @default - none
   */
  readonly emails?: readonly string[];
  /**
   * A Slack incoming-webhook secret (plain URL or `{"url": "..."}`): a forwarder of its own, subscribed
   * with the route's filter policy, posts the monitor's messages there.
   * @default - none
   */
  readonly slackWebhookSecret?: secretsmanager.ISecret;
  /**
   * The customer-managed KMS key of `slackWebhookSecret`.
   * @default - `slackWebhookSecret.encryptionKey`; none for a secret on the AWS managed key
   */
  readonly slackWebhookSecretKey?: kms.IKey;
  /**
   * An AWS Chatbot Slack channel of the route's own: it subscribes to a topic of the route's, which a
   * relay function subscribed with the route's filter policy feeds.
   * @default - none
   */
  readonly chatbotSlackChannel?: ChatbotSlackChannel;
}

export const ROUTE_NAME = /^[A-Za-z0-9-]{1,64}$/;

export interface RouteProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What the config schema and the construct both refuse in a route, each problem at its key. */
export function routeProblemsAt(
  route: Pick<AlertRoute, 'name' | 'match'> & { readonly destinations: number; readonly slack: boolean },
  index: number,
  names: readonly string[],
): RouteProblem[] {
  const problems: RouteProblem[] = [];
  if (!ROUTE_NAME.test(route.name))
    problems.push({ path: ['name'], message: 'must be 1 to 64 letters, digits or -' });
  const first = names.indexOf(route.name);
  if (first >= 0 && first < index)
    problems.push({ path: ['name'], message: `names routes[${first}] already` });
  if (route.destinations === 0)
    problems.push({
      path: [],
      message: 'has no destination: give emails and/or slack (webhookSecret, chatbot)',
    });
  for (const key of ROUTE_MATCH_KEYS) {
    if (route.match?.[key]?.length === 0)
      problems.push({ path: ['match', key], message: 'is an empty list, which nothing matches' });
  }
  const keys = filterPolicyKeyCount(route.match, route.slack);
  if (keys > MAX_FILTER_POLICY_KEYS) {
    problems.push({
      path: ['match'],
      message: `makes a filter policy of ${keys} attributes, over the ${MAX_FILTER_POLICY_KEYS} SNS accepts${route.slack ? ' (a Slack or Chatbot destination adds apiId)' : ''}`,
    });
  }
  const combinations = filterCombinations(route.match);
  if (combinations > MAX_FILTER_POLICY_COMBINATIONS) {
    problems.push({
      path: ['match'],
      message: `makes ${combinations} value combinations, over the ${MAX_FILTER_POLICY_COMBINATIONS} SNS accepts in one filter policy: split the route`,
    });
  }
  return problems;
}

/** `routeProblemsAt` for a construct prop, as one line each. */
export function routeProblems(route: AlertRoute, index: number, all: readonly AlertRoute[]): string[] {
  const destinations =
    (route.emails?.length ?? 0) + (route.slackWebhookSecret ? 1 : 0) + (route.chatbotSlackChannel ? 1 : 0);
  return routeProblemsAt(
    {
      ...route,
      destinations,
      slack: route.slackWebhookSecret !== undefined || route.chatbotSlackChannel !== undefined,
    },
    index,
    all.map((r) => r.name),
  ).map((problem) => `${['', ...problem.path].join('.').slice(1) || 'route'}: ${problem.message}`);
}

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
import { Token } from 'aws-cdk-lib';
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

/**
 * Where a route sends, as both the config and the construct name it: e-mail addresses, a webhook
 * secret (its name or ARN), an AWS Chatbot channel.
 */
export interface Destinations {
  readonly emails?: readonly string[];
  readonly webhook?: string;
  /** How a problem names the webhook: @default - `webhook` quoted */
  readonly webhookShown?: string;
  readonly channel?: { readonly workspaceId: string; readonly channelId: string };
}

/** Who gave a destination first: the top level (which receives every message) or a route. */
type Holder =
  | { readonly top: true; readonly key: string }
  | { readonly top: false; readonly route: string; readonly index: number; readonly match?: RouteMatch };

/** The keys only alerts carry: a route matching one receives no digest. */
const ALERT_ONLY_KEYS = ['category', 'severity', ROUTING_ATTRIBUTES.action] as const;

/** The kinds of message a route can receive. */
function kindsOf(match: RouteMatch | undefined): string[] {
  const kinds = match?.[ROUTING_ATTRIBUTES.kind] ?? ['alert', 'digest'];
  return ALERT_ONLY_KEYS.some((key) => match?.[key] !== undefined)
    ? kinds.filter((kind) => kind !== 'digest')
    : [...kinds];
}

/**
 * Whether one message can match both routes: of every key both name, some value is in both lists,
 * and some kind of message (alert, digest) can carry both.
 */
export function routesOverlap(a: RouteMatch | undefined, b: RouteMatch | undefined): boolean {
  const shared = (x: readonly string[] | undefined, y: readonly string[] | undefined) =>
    x === undefined || y === undefined || x.some((value) => y.includes(value));
  const kindsOfB = kindsOf(b);
  return (
    ROUTE_MATCH_KEYS.every((key) => shared(a?.[key], b?.[key])) &&
    kindsOf(a).some((kind) => kindsOfB.includes(kind))
  );
}

/**
 * A destination given twice: SNS keeps one subscription per e-mail address and topic, with one filter
 * policy (and CDK refuses the second), so an address is refused in a second place; two forwarders or
 * relays to one Slack webhook or Chatbot channel would post a message both match twice, so they are
 * refused when one message can match both (routesOverlap), and allowed for routes that split the
 * messages (prod alerts and digests to one channel). Merging the routes' filter policies into one
 * is not offered: an `$or` of attribute policies has complexity limits of its own, and CDK's
 * `filterPolicy` has no `$or`. Each repeat is refused at its key, naming both holders.
 */
export function destinationClashes(
  top: Destinations,
  routes: readonly (Destinations & { readonly name: string; readonly match?: RouteMatch })[],
  keys: { readonly webhook: readonly string[]; readonly channel: readonly string[] },
): RouteProblem[] {
  const problems: RouteProblem[] = [];
  const held = new Map<string, Holder>();
  const claim = (
    id: string,
    shown: string,
    holder: Holder,
    path: RouteProblem['path'],
    twice: string,
    { unlessDisjoint = false } = {},
  ) => {
    const first = held.get(id);
    if (!first) {
      held.set(id, holder);
      return;
    }
    if (unlessDisjoint && !first.top && !holder.top && !routesOverlap(first.match, holder.match)) return;
    const by = holder.top ? 'the top level' : `route ${JSON.stringify(holder.route)}`;
    const message = first.top
      ? `${by} gives ${shown}, which the top-level ${first.key} gives already (every message reaches it): remove it here`
      : `${by} gives ${shown}, which route ${JSON.stringify(first.route)} (routes[${first.index}]) gives already: ${twice}`;
    problems.push({ path, message });
  };
  const claimAll = (
    d: Destinations,
    holder: (key: string) => Holder,
    at: RouteProblem['path'],
    emails: string,
  ) => {
    for (const [index, email] of (d.emails ?? []).entries())
      claim(
        `email:${email.toLowerCase()}`,
        JSON.stringify(email),
        holder(emails),
        [...at, emails, index],
        'SNS keeps one subscription per address and topic, with one filter policy, so give it to one route (or use another address, e.g. a +tag alias)',
      );
    if (d.webhook !== undefined)
      claim(
        `webhook:${d.webhook}`,
        `Slack webhook secret ${d.webhookShown ?? JSON.stringify(d.webhook)}`,
        holder(keys.webhook.join('.')),
        [...at, ...keys.webhook],
        'a message both routes match would be posted twice, so give it to one route, or match no message in both',
        { unlessDisjoint: true },
      );
    if (d.channel)
      claim(
        `channel:${d.channel.workspaceId}/${d.channel.channelId}`,
        `AWS Chatbot channel ${d.channel.workspaceId}/${d.channel.channelId}`,
        holder(keys.channel.join('.')),
        [...at, ...keys.channel],
        'a message both routes match would be posted twice, so give it to one route, or match no message in both',
        { unlessDisjoint: true },
      );
  };
  claimAll(top, (key) => ({ top: true, key }), [], 'alertEmails');
  for (const [index, route] of routes.entries())
    claimAll(
      route,
      () => ({ top: false, route: route.name, index, ...(route.match ? { match: route.match } : {}) }),
      ['routes', index],
      'emails',
    );
  return problems;
}

const propDestinations = (d: {
  readonly emails?: readonly string[] | undefined;
  readonly secret?: secretsmanager.ISecret | undefined;
  readonly channel?: ChatbotSlackChannel | undefined;
}): Destinations => ({
  ...(d.emails ? { emails: d.emails } : {}),
  ...(d.secret
    ? {
        webhook: d.secret.secretArn,
        // An ARN of tokens says nothing to the reader: the node path of the secret does.
        webhookShown: Token.isUnresolved(d.secret.secretArn)
          ? d.secret.node.path
          : JSON.stringify(d.secret.secretArn),
      }
    : {}),
  ...(d.channel
    ? { channel: { workspaceId: d.channel.slackWorkspaceId, channelId: d.channel.slackChannelId } }
    : {}),
});

/** What the construct refuses in its routes and destinations (routeProblems, destinationClashes), one line each. */
export function routePropsProblems(props: {
  readonly alertEmails?: readonly string[];
  readonly slackWebhookSecret?: secretsmanager.ISecret;
  readonly chatbotSlackChannel?: ChatbotSlackChannel;
  readonly routes?: readonly AlertRoute[];
}): string[] {
  const routes = props.routes ?? [];
  const clashes = destinationClashes(
    propDestinations({
      emails: props.alertEmails,
      secret: props.slackWebhookSecret,
      channel: props.chatbotSlackChannel,
    }),
    routes.map((route) => ({
      name: route.name,
      ...(route.match ? { match: route.match } : {}),
      ...propDestinations({
        emails: route.emails,
        secret: route.slackWebhookSecret,
        channel: route.chatbotSlackChannel,
      }),
    })),
    { webhook: ['slackWebhookSecret'], channel: ['chatbotSlackChannel'] },
  );
  return [
    ...routes.flatMap((route, index) =>
      routeProblems(route, index, routes).map((problem) => `routes[${index}]: ${problem}`),
    ),
    ...clashes.map(
      (problem) =>
        `${problem.path
          .map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`))
          .join('')
          .slice(1)}: ${problem.message}`,
    ),
  ];
}

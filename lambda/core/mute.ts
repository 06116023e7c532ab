import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Category } from './categories.js';
import type { MuteRule } from './noise-policy.js';
import { maskApiKeyId } from './redact.js';

/**
 * Mute rules: a 403 from a known source (a scanner's network, a monitoring agent, a partner's
 * retired key) is still counted in the metric and shown in the digest, never alerted. Pure: rules
 * are compiled once per policy, each request is matched against them in order.
 */

/** What a rule looks at in one request (the finding's fields, as the classifier read them). */
export interface MuteSubject {
  readonly apiId: string;
  readonly stage: string;
  readonly category: Category;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** `$context.path`: on a REST API's default endpoint it starts with `/{stage}`. */
  readonly path?: string;
  readonly resourcePath?: string;
  /** As findings carry it, masked to its last four characters (`maskApiKeyId`). */
  readonly apiKeyId?: string;
}

export type MuteMatcher = (subject: MuteSubject) => boolean;

/** IPv4-mapped IPv6 (`::ffff:198.51.100.7`) is the IPv4 address it carries. */
function plainAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed)?.[1];
  if (mapped && isIPv4(mapped)) return { address: mapped, family: 'ipv4' };
  if (isIPv4(trimmed)) return { address: trimmed, family: 'ipv4' };
  if (isIPv6(trimmed)) return { address: trimmed, family: 'ipv6' };
  return undefined;
}

/** A rule's `sourceIp` (an address or CIDR) as a block list; `undefined` when it is not one. */
function addressBlock(sourceIp: string): BlockList | undefined {
  const [address = '', prefixText] = sourceIp.split('/');
  const plain = plainAddress(address);
  if (!plain) return undefined;
  const mappedPrefix = plain.address !== address.trim() && prefixText !== undefined;
  const prefix = prefixText === undefined ? undefined : Number(prefixText) - (mappedPrefix ? 96 : 0);
  const max = plain.family === 'ipv4' ? 32 : 128;
  if (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max)) return undefined;
  const block = new BlockList();
  block.addSubnet(plain.address, prefix ?? max, plain.family);
  return block;
}

/** Whether `path` is `prefix` or below it (`/admin` matches `/admin` and `/admin/x`, not `/administrator`). */
function under(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith('/') || path.length === prefix.length || path[prefix.length] === '/';
}

/** The request path as the API sees it: `$context.path` without the `/{stage}` a REST default endpoint adds. */
function pathsOf(subject: MuteSubject): string[] {
  const paths: string[] = [];
  if (subject.path !== undefined) {
    paths.push(subject.path);
    const stagePrefix = `/${subject.stage}`;
    if (under(subject.path, stagePrefix)) paths.push(subject.path.slice(stagePrefix.length) || '/');
  }
  if (subject.resourcePath !== undefined) paths.push(subject.resourcePath);
  return paths;
}

/** A rule is the conjunction of the keys it sets: one check per key, built once. */
function compileRule(rule: MuteRule): MuteMatcher {
  const checks: MuteMatcher[] = [];
  const { apiId, stage, category, sourceIp, userAgentContains, pathPrefix, apiKeyId } = rule;
  if (apiId !== undefined) checks.push((subject) => subject.apiId === apiId);
  if (stage !== undefined) checks.push((subject) => subject.stage === stage);
  if (category !== undefined) checks.push((subject) => subject.category === category);
  if (sourceIp !== undefined) {
    const block = addressBlock(sourceIp);
    // A rule whose address cannot be read matches nothing rather than everything.
    if (!block) return () => false;
    checks.push((subject) => {
      const plain = subject.sourceIp === undefined ? undefined : plainAddress(subject.sourceIp);
      return plain !== undefined && block.check(plain.address, plain.family);
    });
  }
  if (userAgentContains !== undefined) {
    const agent = userAgentContains.toLowerCase();
    checks.push((subject) => subject.userAgent?.toLowerCase().includes(agent) === true);
  }
  if (pathPrefix !== undefined)
    checks.push((subject) => pathsOf(subject).some((path) => under(path, pathPrefix)));
  if (apiKeyId !== undefined) {
    const maskedKey = maskApiKeyId(apiKeyId);
    checks.push((subject) => subject.apiKeyId === maskedKey);
  }
  return (subject) => checks.every((check) => check(subject));
}

/**
 * One matcher for a policy's rules, for the requests of one source account: a request is muted when
 * every key of some rule matches. A rule with an `account` is kept only for that account (the central
 * monitor's record owner; a single-account monitor passes none, and synth refuses such a rule there),
 * so the account costs nothing per request. API key ids are compared as the monitor keeps them, by
 * their last four characters.
 */
export function compileMuteRules(rules: readonly MuteRule[], account?: string): MuteMatcher {
  const matchers = rules
    .filter((rule) => rule.account === undefined || rule.account === account)
    .map(compileRule);
  if (matchers.length === 0) return () => false;
  return (subject) => matchers.some((matches) => matches(subject));
}

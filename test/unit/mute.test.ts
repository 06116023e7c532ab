import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileMuteRules, type MuteSubject } from '../../lambda/core/mute.js';
import { groupPolicy, type MuteRule, parseNoisePolicy } from '../../lambda/core/noise-policy.js';

const request = (overrides: Partial<MuteSubject> = {}): MuteSubject => ({
  apiId: 'a1b2c3d4e5',
  stage: 'prod',
  category: 'ROUTE_NOT_FOUND',
  sourceIp: '198.51.100.23',
  userAgent: 'Mozilla/5.0 zgrab/0.x',
  path: '/prod/wp-admin/setup.php',
  resourcePath: '/{proxy+}',
  apiKeyId: '****def4',
  ...overrides,
});

/** Rules as a user writes them, validated by the policy schema first (as the construct does). */
function rules(...written: unknown[]): MuteRule[] {
  const result = parseNoisePolicy({ mute: written });
  if (!result.ok) throw new Error(result.problems.join('; '));
  return [...result.policy.mute];
}

describe('mute rules', () => {
  it.each([
    ['an exact IPv4 address', { sourceIp: '198.51.100.23' }, request(), true],
    ['another IPv4 address', { sourceIp: '198.51.100.24' }, request(), false],
    ['an IPv4 CIDR', { sourceIp: '198.51.100.0/24' }, request(), true],
    ['an IPv4 CIDR it is outside of', { sourceIp: '198.51.101.0/24' }, request(), false],
    ['a /0 matches every IPv4 address', { sourceIp: '0.0.0.0/0' }, request(), true],
    [
      'an IPv4 rule, an IPv4-mapped IPv6 caller',
      { sourceIp: '198.51.100.0/24' },
      request({ sourceIp: '::ffff:198.51.100.23' }),
      true,
    ],
    [
      'an IPv6 address, written shorter',
      { sourceIp: '2001:db8::7' },
      request({ sourceIp: '2001:0db8:0:0:0:0:0:7' }),
      true,
    ],
    [
      'an IPv6 CIDR',
      { sourceIp: '2001:db8:1234::/48' },
      request({ sourceIp: '2001:db8:1234:ffff::1' }),
      true,
    ],
    [
      'an IPv6 CIDR it is outside of',
      { sourceIp: '2001:db8:1234::/48' },
      request({ sourceIp: '2001:db8:1235::1' }),
      false,
    ],
    ['an IPv6 rule, an IPv4 caller', { sourceIp: '2001:db8::/32' }, request(), false],
    [
      'an address rule, no address logged',
      { sourceIp: '198.51.100.23' },
      request({ sourceIp: undefined }),
      false,
    ],
    [
      'an address rule, garbage logged',
      { sourceIp: '198.51.100.23' },
      request({ sourceIp: 'not-an-ip' }),
      false,
    ],
    ['a user-agent substring, any case', { userAgentContains: 'ZGRAB' }, request(), true],
    ['a user-agent substring it lacks', { userAgentContains: 'masscan' }, request(), false],
    [
      'a path prefix below the stage of a REST default endpoint',
      { pathPrefix: '/wp-admin' },
      request(),
      true,
    ],
    ['a path prefix with the stage', { pathPrefix: '/prod/wp-admin' }, request(), true],
    ['a path prefix is a whole segment', { pathPrefix: '/wp' }, request(), false],
    ['a path prefix ending in / matches below it', { pathPrefix: '/prod/' }, request(), true],
    [
      'a path prefix on a custom domain (no stage in the path)',
      { pathPrefix: '/wp-admin' },
      request({ path: '/wp-admin' }),
      true,
    ],
    [
      'an API key id, by the last four characters the monitor keeps',
      { apiKeyId: 'abc123def4' },
      request(),
      true,
    ],
    ['another API key id', { apiKeyId: 'abc123xyz9' }, request(), false],
    ['every key must match', { userAgentContains: 'zgrab', sourceIp: '203.0.113.0/24' }, request(), false],
    [
      'scoped to the API, stage and category it names',
      { userAgentContains: 'zgrab', stage: 'prod', category: 'ROUTE_NOT_FOUND' },
      request(),
      true,
    ],
    ['scoped to another stage', { userAgentContains: 'zgrab', stage: 'staging' }, request(), false],
    [
      'scoped to another category',
      { userAgentContains: 'zgrab', category: 'WAF_FILTERED' },
      request(),
      false,
    ],
    ['scoped to another API', { userAgentContains: 'zgrab', apiId: 'zzzzzzzzzz' }, request(), false],
  ] as const)('%s', (_name, rule, subject, muted) => {
    expect(compileMuteRules(rules(rule))(subject)).toBe(muted);
  });

  it('a request is muted when any rule matches; no rules mute nothing', () => {
    const matcher = compileMuteRules(rules({ sourceIp: '203.0.113.0/24' }, { userAgentContains: 'zgrab' }));
    expect(matcher(request())).toBe(true);
    expect(matcher(request({ userAgent: 'okhttp/4.12.0' }))).toBe(false);
    expect(compileMuteRules([])(request())).toBe(false);
  });

  it('a rule whose address the schema let through but is no address matches nothing', () => {
    // The schema's IPv6 check is loose (`::zz` fails it, but `:::` passes): such a rule must not mute all.
    expect(compileMuteRules([{ sourceIp: ':::' }])(request({ sourceIp: '::1' }))).toBe(false);
  });
});

/** An independent oracle: addresses as 32-bit integers. */
const toInt = (octets: readonly number[]) => octets.reduce((value, octet) => value * 256 + octet, 0);
const toText = (value: number) =>
  [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');

describe('mute rules and overrides scoped to a source account (central monitor)', () => {
  const scoped = rules({ account: '111111111111', userAgentContains: 'zgrab' });

  it("a rule with an account mutes that account's requests only; with none (single-account) it mutes nothing", () => {
    expect(compileMuteRules(scoped, '111111111111')(request())).toBe(true);
    expect(compileMuteRules(scoped, '222222222222')(request())).toBe(false);
    expect(compileMuteRules(scoped)(request())).toBe(false);
  });

  it('a rule without an account mutes every account', () => {
    const everyone = rules({ userAgentContains: 'zgrab' });
    for (const account of ['111111111111', '222222222222', undefined])
      expect(compileMuteRules(everyone, account)(request())).toBe(true);
  });

  it.each(['1111', '11111111111a', ' 111111111111', 111111111111])(
    'the schema refuses account %j in one line with an example',
    (account) => {
      const result = parseNoisePolicy({ mute: [{ account, userAgentContains: 'zgrab' }] });
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(result.problems).toEqual([
          'mute.0.account: account must be a 12-digit AWS account id, a source account of the central monitor. Example: "111122223333"',
        ]);
    },
  );

  it("an override with an account tunes that account's group only; later overrides still win", () => {
    const parsed = parseNoisePolicy({
      overrides: [
        { account: '111111111111', apiId: 'a1b2c3d4e5', action: 'ignore' },
        { stage: 'prod', quietPeriodMinutes: 30 },
      ],
    });
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const key = { apiId: 'a1b2c3d4e5', stage: 'prod', category: 'WAF_FILTERED' } as const;
    expect(groupPolicy(parsed.policy, { ...key, account: '111111111111' })).toMatchObject({
      action: 'ignore',
      quietPeriodMinutes: 30,
    });
    expect(groupPolicy(parsed.policy, { ...key, account: '222222222222' })).toMatchObject({
      action: 'alert',
      quietPeriodMinutes: 30,
    });
    expect(groupPolicy(parsed.policy, key).action).toBe('alert');
  });
});

describe('mute rules: IPv4 CIDR against integer arithmetic', () => {
  it('an address is inside a CIDR exactly when its first `prefix` bits equal the network’s', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 32 }),
        (network, caller, prefix) => {
          const size = 2 ** (32 - prefix);
          const base = Math.floor(toInt(network) / size) * size;
          const inside = Math.floor(toInt(caller) / size) * size === base;
          const matcher = compileMuteRules(rules({ sourceIp: `${toText(base)}/${prefix}` }));
          expect(matcher(request({ sourceIp: toText(toInt(caller)) }))).toBe(inside);
        },
      ),
    );
  });
});

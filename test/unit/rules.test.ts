import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, describeCategory, RULES } from '../../lambda/core/index.js';

const taxonomy = readFileSync(new URL('../../docs/403-taxonomy.md', import.meta.url), 'utf8');

describe('the rule table', () => {
  it('has one row per taxonomy category, in the taxonomy order', () => {
    const ids = [...taxonomy.matchAll(/^\| \d+ \| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
    expect(ids).toEqual([...CATEGORIES]);
    expect(Object.keys(RULES)).toEqual([...CATEGORIES]);
  });

  it.each(CATEGORIES)('%s is complete', (category) => {
    const rule = RULES[category];
    expect(rule.category).toBe(category);
    expect(rule.title.length).toBeGreaterThan(10);
    expect(rule.causes.length).toBeGreaterThan(0);
    expect(rule.checks.length).toBeGreaterThan(0);
    expect(rule.docUrl).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|repost\.aws)\//);
  });

  it('marks exactly rows 20 to 23 as client-only', () => {
    expect(CATEGORIES.filter((category) => RULES[category].visibleIn === 'client')).toEqual([
      'PRIVATE_API_DNS',
      'DEFAULT_ENDPOINT_DISABLED',
      'NO_BASE_PATH_MAPPING',
      'INVALID_STAGE',
    ]);
  });
});

describe('describeCategory', () => {
  it('fills the API id, stage and region into every check, leaving no placeholder', () => {
    for (const category of CATEGORIES) {
      const description = describeCategory(category, {
        apiId: 'a1b2c3d4e5',
        stage: 'prod',
        region: 'eu-west-1',
        apiKeyId: 'k1',
        domainName: 'api.example.com',
      });
      const text = [...description.checks, ...description.causes, description.summary].join('\n');
      expect(text).not.toMatch(/\{(apiId|stage|region|regionArg|apiKeyId|domainName)\}/);
    }
    const checks = describeCategory('INVALID_API_KEY', {
      apiId: 'a1b2c3d4e5',
      stage: 'prod',
      region: 'eu-west-1',
    }).checks;
    expect(checks[0]).toContain("apiId=='a1b2c3d4e5' && stage=='prod'");
    expect(checks[0]).toContain('--region eu-west-1');
    expect(checks[1]).toContain('--key-id <api-key-id>');
  });

  it('ranks the causes by the request signals', () => {
    const first = (signals: string[], reason?: string) =>
      describeCategory('INVALID_API_KEY', { apiId: 'a', stage: 's', signals, ...(reason ? { reason } : {}) })
        .causes[0];
    expect(first([], 'missing')).toMatch(/x-api-key header is missing/);
    expect(first([], 'stage-not-in-usage-plan')).toMatch(/not in any usage plan/);
    expect(first([], 'key-not-in-usage-plan')).toMatch(/added minutes ago/);
    const cors = (underlying: string) =>
      describeCategory('CORS_PREFLIGHT_REJECTED', {
        apiId: 'a',
        stage: 's',
        signals: [`preflight-${underlying}`],
      }).causes[0];
    expect(cors('ROUTE_NOT_FOUND')).toMatch(/no OPTIONS method/);
    expect(cors('INVALID_API_KEY')).toMatch(/requires an API key/);
  });

  it('escalates a stage that is in no usage plan to critical', () => {
    expect(
      describeCategory('INVALID_API_KEY', { apiId: 'a', stage: 's', reason: 'stage-not-in-usage-plan' })
        .severity,
    ).toBe('critical');
    expect(describeCategory('INVALID_API_KEY', { apiId: 'a', stage: 's', reason: 'missing' }).severity).toBe(
      'high',
    );
  });
});

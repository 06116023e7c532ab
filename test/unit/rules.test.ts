import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, CLIENT_ONLY_CATEGORIES, describeCategory, RULES } from '../../lambda/core/index.js';
import { TAXONOMY_DOC, withRuleTable } from '../../scripts/taxonomy-doc.js';

const taxonomy = readFileSync(TAXONOMY_DOC, 'utf8');

/** The text of one `## heading` section of the taxonomy document. */
function section(heading: string): string {
  const start = taxonomy.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/403-taxonomy.md has no "## ${heading}" section`);
  const end = taxonomy.indexOf('\n## ', start + 1);
  return taxonomy.slice(start, end < 0 ? undefined : end);
}

/** The contract's category rows: number, id and decisive-signals cell. */
const rows = [...section('Categories').matchAll(/^\| (\d+) \| `([A-Z0-9_]+)` \| [^|]*\| ([^|]*)\|/gm)].map(
  (match) => ({ number: Number(match[1]), id: match[2], signals: (match[3] ?? '').trim() }),
);

describe('the category contract (docs/403-taxonomy.md)', () => {
  it('lists every category once, numbered from 1, in the order of CATEGORIES and RULES', () => {
    expect(rows.map((row) => row.id)).toEqual([...CATEGORIES]);
    expect(rows.map((row) => row.number)).toEqual(CATEGORIES.map((_, index) => index + 1));
    expect(Object.keys(RULES)).toEqual([...CATEGORIES]);
  });

  it('marks as client only exactly the categories the code treats as client only', () => {
    const documented = rows.filter((row) => row.signals.startsWith('client only')).map((row) => row.id);
    expect(documented).toEqual([...CLIENT_ONLY_CATEGORIES]);
    expect(CATEGORIES.filter((category) => RULES[category].visibleIn === 'client')).toEqual([
      ...CLIENT_ONLY_CATEGORIES,
    ]);
    const first = CATEGORIES.indexOf(CLIENT_ONLY_CATEGORIES[0] ?? 'UNCLASSIFIED') + 1;
    expect(taxonomy).toContain(`Rows ${first} to ${first + CLIENT_ONLY_CATEGORIES.length - 1} are rejected`);
  });

  it('carries the titles, severities and links of RULES (run `npm run docs:taxonomy` after editing rules.ts)', () => {
    expect(taxonomy).toBe(withRuleTable(taxonomy));
  });

  it("lists the classifier's precedence in the order lambda/core/classify.ts runs its steps", () => {
    const source = readFileSync(new URL('../../lambda/core/classify.ts', import.meta.url), 'utf8');
    const steps = /const STEPS\b[\s\S]*?>\s*=\s*\[([^\]]*)\]/.exec(source)?.[1];
    expect(
      steps,
      'classify.ts has no STEPS array: update this check and the Precedence section',
    ).toBeDefined();
    const code = (steps ?? '')
      .split(',')
      .map((step) => step.trim())
      .filter(Boolean);
    const documented = [...section('Precedence').matchAll(/^\d+\. `(\w+)`/gm)].map((match) => match[1]);
    expect(documented).toEqual(code);
  });
});

describe('the rule table', () => {
  it.each(CATEGORIES)('%s is complete', (category) => {
    const rule = RULES[category];
    expect(rule.category).toBe(category);
    expect(rule.title.length).toBeGreaterThan(10);
    expect(rule.causes.length).toBeGreaterThan(0);
    expect(rule.checks.length).toBeGreaterThan(0);
    expect(rule.docUrl).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|repost\.aws)\//);
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

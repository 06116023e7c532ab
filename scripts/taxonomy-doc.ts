/**
 * Writes the generated part of docs/403-taxonomy.md from the rule table, so the document and
 * `lambda/core/rules.ts` cannot drift: `npm run docs:taxonomy` rewrites it, and
 * `test/unit/rules.test.ts` fails while the document differs from what this renders.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CATEGORIES } from '../lambda/core/categories.js';
import { RULES } from '../lambda/core/rules.js';

export const TAXONOMY_DOC = fileURLToPath(new URL('../docs/403-taxonomy.md', import.meta.url));
export const GENERATED_BEGIN =
  '<!-- generated from lambda/core/rules.ts by `npm run docs:taxonomy`: begin -->';
export const GENERATED_END = '<!-- generated: end -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

/** The rule table as Markdown: one row per category, in contract order. */
export function renderRuleTable(): string {
  const rows = CATEGORIES.map((category, index) => {
    const rule = RULES[category];
    return `| ${index + 1} | \`${category}\` | ${cell(rule.title)} | ${rule.severity} | ${rule.visibleIn} | ${cell(rule.summary)} | [AWS](${rule.docUrl}) |`;
  });
  return [
    '| # | category | title (alerts, CLI) | default severity | seen in | summary | documentation |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** `doc` with its generated section replaced by the current rule table. */
export function withRuleTable(doc: string): string {
  const begin = doc.indexOf(GENERATED_BEGIN);
  const end = doc.indexOf(GENERATED_END);
  if (begin < 0 || end < begin) throw new Error(`${TAXONOMY_DOC} lacks the generated-section markers`);
  return `${doc.slice(0, begin + GENERATED_BEGIN.length)}\n${renderRuleTable()}\n${doc.slice(end)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(TAXONOMY_DOC, withRuleTable(readFileSync(TAXONOMY_DOC, 'utf8')));
}

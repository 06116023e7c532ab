import type { Finding } from '../lambda/core/index.js';
import { ComposedText } from './commands/command-io.js';

const BAR = '█';

/** A horizontal bar per category, longest first, scaled to `width` columns: the CLI's own text only. */
export function renderCategoryChart(findings: readonly Finding[], width = 40): ComposedText {
  const counts = new Map<string, number>();
  for (const finding of findings) counts.set(finding.category, (counts.get(finding.category) ?? 0) + 1);
  const rows = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const max = rows[0]?.[1] ?? 0;
  const label = Math.max(0, ...rows.map(([category]) => category.length));
  return new ComposedText(
    rows
      .map(
        ([category, count]) =>
          `${category.padEnd(label)} ${BAR.repeat(Math.max(1, Math.round((count / max) * width)))} ${count}\n`,
      )
      .join(''),
  );
}

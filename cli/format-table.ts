import type { Finding } from '../lambda/core/index.js';
import { ComposedText, safeText } from './commands/command-io.js';

interface CategoryRow {
  category: string;
  count: number;
  stages: Map<string, number>;
  high: number;
}

/**
 * The per-category summary a person reads in a terminal: count, share, busiest API/stage, confidence.
 * Only the API/stage came from a log and passes `safeText`; the rest is the CLI's own text, which
 * redaction would misread (`INVALID_API_KEY  12` is a key and its value to it).
 */
export function renderSummaryTable(findings: readonly Finding[]): ComposedText {
  const summary = new SummaryTable();
  for (const finding of findings) summary.add(finding);
  return summary.render();
}

/** The summary table, counted a finding at a time: a multi-GB export's findings are never held at once. */
export class SummaryTable {
  private readonly rows = new Map<string, CategoryRow>();
  private total = 0;

  add(finding: Finding): void {
    let row = this.rows.get(finding.category);
    if (!row) {
      row = { category: finding.category, count: 0, stages: new Map(), high: 0 };
      this.rows.set(finding.category, row);
    }
    this.total += 1;
    row.count += 1;
    if (finding.confidence === 'high') row.high += 1;
    const stage = `${finding.apiId}/${finding.stage}`;
    row.stages.set(stage, (row.stages.get(stage) ?? 0) + 1);
  }

  get count(): number {
    return this.total;
  }

  render(): ComposedText {
    if (this.total === 0) return new ComposedText('No 403 found.\n');
    const sorted = [...this.rows.values()].sort(
      (a, b) => b.count - a.count || a.category.localeCompare(b.category),
    );
    const table = [
      ['CATEGORY', 'COUNT', 'SHARE', 'HIGH CONF.', 'TOP API/STAGE'],
      ...sorted.map((row) => {
        const [topStage, topCount] = [...row.stages].sort((a, b) => b[1] - a[1])[0] ?? ['-', 0];
        return [
          row.category,
          String(row.count),
          percent(row.count, this.total),
          percent(row.high, row.count),
          `${safeText(topStage)} (${topCount})`,
        ];
      }),
      ['TOTAL', String(this.total), '100.0%', '', ''],
    ];
    return new ComposedText(alignColumns(table, [false, true, true, true, false]));
  }
}

/** Text columns padded to their widest cell; numeric columns right-aligned. */
export function alignColumns(
  table: readonly (readonly string[])[],
  rightAligned: readonly boolean[],
): string {
  const widths = rightAligned.map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
  return `${table
    .map((row) =>
      row
        .map((cell, column) =>
          rightAligned[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)}%`;
}

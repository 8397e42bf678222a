import type { Row } from './rows.js';

const headers = ['Figure', 'Before (issue 11)', 'Trainyard', 'Ceiling', 'Ratio', 'Target', 'Met'];

const verdict = (met: boolean | null) => (met === null ? '—' : met ? 'yes' : 'NO');

const cells = (row: Row) => [row.figure, row.before, row.ours, row.ceiling, row.comparison, row.target, verdict(row.met)];

/** A plain-text table for the terminal. */
export function textTable(rows: readonly Row[]): string {
  const lines = [headers, ...rows.map(cells)];
  const widths = headers.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
  const format = (line: string[]) => line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [format(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.slice(1).map(format)].join('\n');
}

/** The same table in Markdown. */
export function markdownTable(rows: readonly Row[]): string {
  const line = (values: string[]) => `| ${values.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map((row) => line(cells(row)))].join('\n');
}

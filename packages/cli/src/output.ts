/** How a command prints: JSON for scripts (`--json`), or aligned text for people. */
export interface Output {
  json: boolean;
  /** The answer itself: stdout. */
  print(text: string): void;
  /** Progress and notes beside the answer: stderr, so `--json` output stays parseable. */
  note(text: string): void;
  /** Prints the value as JSON in --json mode, else the human rendering. */
  result(value: unknown, human: () => string): void;
}

export function createOutput(json: boolean): Output {
  const output: Output = {
    json,
    print: (text) => void process.stdout.write(`${text}\n`),
    note: (text) => void (json || process.stderr.write(`${text}\n`)),
    result: (value, human) => output.print(json ? JSON.stringify(value, null, 2) : human()),
  };
  return output;
}

/** Rows as left-aligned columns; the first row is the header. */
export function table(rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((row) => row.map((cell) => (cell === undefined || cell === null ? '' : String(cell))));
  const widths = cells[0]?.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0))) ?? [];
  return cells.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/** A metric as people read it: at most 4 decimals. */
export const formatNumber = (value: number): string => (Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4))));

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

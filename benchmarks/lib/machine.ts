import os from 'node:os';

/** One line per fact about the machine and runtime, printed above every benchmark's table. */
export function machineLines(): string[] {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  return [
    `machine: ${model} x ${cpus.length} (os.cpus()), ${formatMb(os.totalmem())} total memory, ${os.type()} ${os.release()} ${os.arch()}`,
    `node: ${process.version} (${process.execPath})`,
    `date: ${new Date().toISOString()}`,
    loadLine(),
  ];
}

/**
 * The load average: wall-clock figures are only meaningful on an otherwise idle machine (a load
 * well above the CPU count means other processes competed for the CPUs during the run).
 */
export function loadLine(): string {
  const [one = 0, five = 0] = os.loadavg();
  return `load average: ${one.toFixed(2)} (1 min), ${five.toFixed(2)} (5 min) on ${os.cpus().length} CPUs`;
}

/** Bytes as "12.3 MB" (MB = 1,048,576 bytes). */
export function formatMb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/** A number with thousands separators and `digits` decimals. */
export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] ?? Number.NaN;
  return ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

/** Prints a header block: title, machine lines and the settings the benchmark ran with. */
export function printHeader(title: string, settings: Record<string, unknown>): void {
  console.log(`\n## ${title}`);
  for (const line of machineLines()) console.log(line);
  const text = Object.entries(settings)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  console.log(`settings: ${text}`);
}

/** Prints a Markdown table (so the output can be pasted into the README as is). */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  console.log('');
  console.log(line(headers));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log('');
}

/** Prints free-form notes under a table, then the load average at the end of the run. */
export function printNotes(notes: readonly string[]): void {
  for (const note of notes) console.log(`- ${note}`);
  console.log(`- at the end: ${loadLine()}`);
}

import type { AgentInstance } from '../models/index.js';
import { formatDuration } from './tree.js';

/** Options of `renderInstanceList`. */
export interface RenderListOptions {
  /** Colour with ANSI escapes (the CLI turns it on for a TTY without `NO_COLOR`). @default false */
  readonly color?: boolean;
}

const STATUS_COLOR: Record<string, string> = { complete: '32', failed: '31', cancelled: '90', active: '33', pending: '33' };
const HEADERS = ['STATUS', 'INSTANCE', 'AGENT', 'STARTED (UTC)', 'DURATION', 'SPANS', 'FAILED'] as const;

/** `2026-11-29 15:01:15` (UTC), or '' for an unreadable time. */
function utc(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function duration(instance: AgentInstance): string {
  const ms = Date.parse(instance.finished_at ?? '') - Date.parse(instance.started_at ?? '');
  if (!Number.isNaN(ms)) return formatDuration(ms);
  return instance.status === 'active' ? 'running' : '';
}

/**
 * The instances as a table, one a line, in the order given (the server's: newest first): status,
 * id, agent, start time, duration, span count and failed count.
 */
export function renderInstanceList(instances: readonly AgentInstance[], options: RenderListOptions = {}): string {
  if (instances.length === 0) return '(no agent instances)\n';
  const paint = options.color ? (code: string | undefined, text: string) => (code ? `\u001B[${code}m${text}\u001B[0m` : text) : (_: unknown, text: string) => text;
  const rows = instances.map((instance) => [
    instance.status,
    instance.id,
    instance.agent_id,
    utc(instance.started_at ?? instance.inserted_at),
    duration(instance),
    String(instance.span_counts?.total ?? ''),
    String(instance.span_counts?.failed ?? ''),
  ]);
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
  // Padded before painting, so escape codes do not count towards the widths.
  const line = (cells: readonly string[], colors: readonly (string | undefined)[]) =>
    cells
      .map((cell, column) => paint(colors[column], column >= 5 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const lines = [line(HEADERS, HEADERS.map(() => '1'))];
  for (const row of rows) lines.push(line(row, [STATUS_COLOR[row[0]!], undefined, undefined, undefined, '2', undefined, row[6] !== '0' && row[6] !== '' ? '1;31' : undefined]));
  return `${lines.join('\n')}\n`;
}

import type { AgentInstance, AgentSpan } from '../models/index.js';
import { buildForest } from '../util/forest.js';

/** A span with its children (in start order): plain data, so `JSON.stringify` gives the JSON tree. */
export type SpanTreeNode = AgentSpan & { children: SpanTreeNode[] };

/** Options of `renderSpanTree`. */
export interface RenderTreeOptions {
  /** Colour with ANSI escapes (the CLI turns it on for a TTY without `NO_COLOR`). @default false */
  readonly color?: boolean;
  /** Print this instance as a header line above the spans. @default undefined */
  readonly instance?: AgentInstance;
  /** Longest payload (and result) summary, in characters. @default 80 */
  readonly payloadChars?: number;
}

const FINISHED = new Set(['complete', 'failed', 'cancelled']);
const STATUS_COLOR: Record<string, string> = { complete: '32', failed: '31', cancelled: '90', active: '33', pending: '33' };

function time(value: string | null | undefined): number {
  return value ? Date.parse(value) : Number.NaN;
}

/**
 * `{...span, children: []}`, copied key by key: adding `children` to a spread copy is several times
 * slower (it leaves V8's fast path), which shows with tens of thousands of spans.
 */
function nodeOf(span: AgentSpan): SpanTreeNode {
  const node: Record<string, unknown> = {};
  for (const key of Object.keys(span)) {
    const value = span[key];
    // A `__proto__` key (JSON.parse makes it an own property) stays a plain property.
    if (key === '__proto__') Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
    else node[key] = value;
  }
  node.children = [];
  return node as SpanTreeNode;
}

/**
 * The spans as a tree: each span under its parent, siblings in start order (creation order among
 * equals). Spans whose parent is not among `spans` are roots.
 */
export function buildSpanTree(spans: readonly AgentSpan[]): SpanTreeNode[] {
  return buildForest(spans, {
    id: (span) => span.id,
    parentId: (span) => span.parent_span_id,
    node: nodeOf,
    start: (span) => {
      const start = time(span.started_at ?? span.inserted_at);
      return Number.isNaN(start) ? Number.POSITIVE_INFINITY : start;
    },
  });
}

/** A duration for people: `850ms`, `1.25s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

function durationOf(item: { started_at?: string | null; finished_at?: string | null; status: string }): string {
  const ms = time(item.finished_at) - time(item.started_at);
  if (!Number.isNaN(ms)) return formatDuration(ms);
  return FINISHED.has(item.status) ? '?' : 'running';
}

function summarize(value: unknown, max: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object' && Object.keys(value).length === 0) return '';
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, Math.max(1, max - 1))}…` : text;
}

/**
 * The tree as text, one span a line: schema name, status (failed spans marked `✗`), duration, and a
 * summary of the payload (`→` the result). With `instance`, a header line first.
 */
export function renderSpanTree(tree: readonly SpanTreeNode[], options: RenderTreeOptions = {}): string {
  const paint = options.color ? (code: string, text: string) => `\u001B[${code}m${text}\u001B[0m` : (_: string, text: string) => text;
  const max = options.payloadChars ?? 80;
  const lines: string[] = [];
  const { instance } = options;
  if (instance) {
    const counts = instance.span_counts;
    const spanText = counts ? `, ${counts.total} spans${counts.failed > 0 ? `, ${counts.failed} failed` : ''}` : '';
    const reason = typeof instance.termination_reason === 'string' ? `, terminated: ${instance.termination_reason}` : '';
    lines.push(
      `${paint('1', `Agent instance ${instance.id}`)} (${paint(STATUS_COLOR[instance.status]!, instance.status)}, ${durationOf(instance)}${spanText}${reason})`,
    );
  }
  for (const [name, payload] of Object.entries(instance?.quality_payloads ?? {})) lines.push(`${paint('2', 'quality')} ${name}  ${summarize(payload, max)}`);
  if (tree.length === 0) lines.push('(no spans)');
  // Depth-first without recursion, so a very deep trace cannot overflow the stack.
  const stack: Array<{ node: SpanTreeNode; prefix: string; last: boolean }> = [];
  for (let index = tree.length - 1; index >= 0; index--) stack.push({ node: tree[index]!, prefix: '', last: index === tree.length - 1 });
  while (stack.length > 0) {
    const { node, prefix, last } = stack.pop()!;
    const failed = node.status === 'failed';
    const status = paint(STATUS_COLOR[node.status]!, failed ? '✗ failed' : node.status);
    const payload = summarize(node.payload, max);
    const result = summarize(node.result_payload, max);
    const summary = [payload, result && `→ ${result}`].filter(Boolean).join(' ');
    const name = paint(failed ? '1;31' : '1', node.schema_name);
    const parts = [name, status, paint('2', durationOf(node)), summary].filter(Boolean);
    lines.push(`${prefix}${last ? '└─ ' : '├─ '}${parts.join('  ')}`);
    const childPrefix = prefix + (last ? '   ' : '│  ');
    for (let index = node.children.length - 1; index >= 0; index--) {
      stack.push({ node: node.children[index]!, prefix: childPrefix, last: index === node.children.length - 1 });
    }
  }
  return `${lines.join('\n')}\n`;
}

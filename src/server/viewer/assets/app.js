// The prefactor-trace viewer: a read-only page over the local server's API read routes (the routes
// `prefactor-trace view` reads). Plain JavaScript, no dependencies, no build step.
// Every value from the server reaches the page as text (text nodes, `textContent`), never as markup.

const TOKEN_KEY = 'prefactor-trace.token';
/** Height of one timeline row, in pixels (the list is virtualised: only the rows in view exist). */
const ROW_PX = 24;
/** Rows rendered above and below the visible ones. */
const OVERSCAN = 15;
/** Poll interval of the read routes; it stretches when a fetch is slow (large instances). */
const POLL_MS = 1000;
const MAX_POLL_MS = 5000;
/** Instances listed at first; a button shows more. */
const LIST_PAGE = 200;
/** Tree glyphs are drawn for this many levels; deeper levels are elided. */
const MAX_GLYPH_DEPTH = 24;
/** Entries shown per JSON object or array (the rest are counted). */
const MAX_JSON_ENTRIES = 500;
const SUMMARY_CHARS = 80;
/** Strings longer than this (or of more than 3 lines) are folded in the JSON view. */
const LONG_STRING_CHARS = 240;
const STATUSES = ['complete', 'failed', 'active', 'pending', 'cancelled'];
const KNOWN_SPAN_FIELDS = new Set([
  'type', 'id', 'agent_instance_id', 'parent_span_id', 'schema_name', 'schema_title', 'status', 'payload',
  'result_payload', 'started_at', 'finished_at', 'inserted_at', 'updated_at', 'account_id', 'agent_id',
]);

const app = document.getElementById('app');
const crumbs = document.getElementById('crumbs');
const live = document.getElementById('live');

/** Creates an element; string children become text nodes (never parsed as markup). */
function h(tag, props, ...children) {
  const element = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') element.className = value;
      else if (key === 'text') element.textContent = value;
      else if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
      else element.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) element.append(child);
  return element;
}

// ---------------------------------------------------------------------------------------------
// Formatting

function time(value) {
  return value ? Date.parse(value) : Number.NaN;
}

/** A duration for people, as the CLI prints it: `850ms`, `1.25s`, `2m05s`. */
function formatDuration(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

function durationText(item) {
  const ms = time(item.finished_at) - time(item.started_at);
  if (!Number.isNaN(ms)) return formatDuration(ms);
  if (item.status === 'active' && item.started_at) return `running ${formatDuration(Date.now() - time(item.started_at))}`;
  return ['complete', 'failed', 'cancelled'].includes(item.status) ? '?' : item.status;
}

function formatTime(value) {
  const ms = time(value);
  if (Number.isNaN(ms)) return '';
  const date = new Date(ms);
  const clock = date.toLocaleTimeString([], { hour12: false });
  return date.toDateString() === new Date().toDateString() ? clock : `${date.toLocaleDateString()} ${clock}`;
}

function formatInstant(value) {
  const ms = time(value);
  return Number.isNaN(ms) ? '—' : `${new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC')}`;
}

function summarize(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object' && Object.keys(value).length === 0) return '';
  const text = JSON.stringify(value);
  return text.length > SUMMARY_CHARS ? `${text.slice(0, SUMMARY_CHARS - 1)}…` : text;
}

function statusBadge(status) {
  return h('span', { class: `badge s-${status}`, text: status === 'failed' ? '✗ failed' : status });
}

/** A collapsible view of a JSON value, built from text nodes and `<details>`. */
function jsonView(value, depth = 0, key = undefined) {
  const label = key === undefined ? [] : [h('span', { class: 'k', text: key }), ': '];
  if (value !== null && typeof value === 'object') {
    const isArray = Array.isArray(value);
    const entries = isArray ? value.map((item, index) => [String(index), item]) : Object.entries(value);
    if (entries.length === 0) return h('div', { class: 'j' }, label, h('span', { class: 'p', text: isArray ? '[]' : '{}' }));
    const size = isArray ? `[${entries.length}]` : `{${entries.length} ${entries.length === 1 ? 'key' : 'keys'}}`;
    const details = h('details', { class: 'j', open: depth < 3 }, h('summary', null, label, h('span', { class: 'p', text: size })));
    for (const [childKey, child] of entries.slice(0, MAX_JSON_ENTRIES)) details.append(jsonView(child, depth + 1, childKey));
    if (entries.length > MAX_JSON_ENTRIES) details.append(h('div', { class: 'j muted', text: `… ${entries.length - MAX_JSON_ENTRIES} more` }));
    return details;
  }
  const kind = value === null ? 'null' : typeof value;
  const text = typeof value === 'string' ? `"${value}"` : String(value);
  if (typeof value === 'string' && (value.length > LONG_STRING_CHARS || value.split('\n', 4).length > 3)) {
    // A long text (a stack trace, a completion) opens on demand; its first line stands for it.
    const head = value.split('\n', 1)[0].slice(0, SUMMARY_CHARS);
    return h(
      'details',
      { class: 'j long' },
      h('summary', null, label, h('span', { class: 'v string', text: `"${head}…` }), h('span', { class: 'p', text: ` (${value.length} chars)` })),
      h('div', { class: 'v string', text }),
    );
  }
  return h('div', { class: 'j' }, label, h('span', { class: `v ${kind}`, text }));
}

function jsonBlock(title, value) {
  const empty = value === null || value === undefined;
  const copy = h('button', {
    class: 'link',
    type: 'button',
    text: 'copy',
    title: 'Copy as JSON',
    onclick: () => navigator.clipboard?.writeText(JSON.stringify(value, null, 2)),
  });
  return h('section', { class: 'json' }, h('h3', null, title, empty ? null : copy), empty ? h('p', { class: 'muted', text: 'none' }) : jsonView(value));
}

// ---------------------------------------------------------------------------------------------
// Token, API, routing

class AuthError extends Error {}

/**
 * A `#token=T` or `#token=T&/i/<id>` link (printed by `prefactor-trace dev` and the demo): keep the
 * token in this tab, and drop it from the address bar (and so from the history) at once.
 */
function takeTokenFromHash() {
  const match = /^#token=([^&]*)(?:&(\/.*))?$/.exec(location.hash);
  if (!match) return;
  try {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  } catch {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
  }
  history.replaceState(null, '', `${location.pathname}${location.search}#${match[2] ?? '/'}`);
}

async function api(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) throw new AuthError('');
  const response = await fetch(`/api/v1/${path}`, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    throw new AuthError('The server refused that token: enter the token `prefactor-trace dev` printed.');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || body.status !== 'success') {
    const error = new Error(`GET /api/v1/${path} answered ${response.status}${body.message ? `: ${body.message}` : ''}`);
    error.status = response.status;
    throw error;
  }
  return body.details;
}

function parseRoute() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
  const params = new URLSearchParams(query);
  if (parts[0] === 'i' && parts[1]) return { view: 'instance', id: parts[1], span: parts[2] === 's' ? parts[3] : undefined, params };
  return { view: 'list', params };
}

function instanceHref(instanceId, spanId, params) {
  const query = params && [...params].length > 0 ? `?${params}` : '';
  return `#/i/${encodeURIComponent(instanceId)}${spanId ? `/s/${encodeURIComponent(spanId)}` : ''}${query}`;
}

/** Goes to `href`; `replace` keeps the history entry (filters, typing). */
function navigate(href, replace = false) {
  if (href === location.hash) return;
  if (replace) {
    history.replaceState(null, '', href);
    route();
  } else {
    location.hash = href;
  }
}

function setLive(ok, message) {
  live.className = ok ? 'live on' : 'live off';
  live.textContent = ok ? `live · ${new Date().toLocaleTimeString([], { hour12: false })}` : `offline: ${message} (retrying)`;
}

/** Calls `tick` now and again after each run, while the tab is visible; returns `stop()`. */
function poller(tick) {
  let timer;
  let stopped = false;
  const run = async () => {
    let delay = POLL_MS;
    if (!document.hidden) {
      const started = performance.now();
      try {
        await tick();
        if (stopped) return;
        setLive(true);
      } catch (error) {
        if (stopped) return;
        if (error instanceof AuthError) return showLogin(error.message);
        setLive(false, error.message);
      }
      delay = Math.min(MAX_POLL_MS, Math.max(POLL_MS, (performance.now() - started) * 5));
    }
    if (!stopped) timer = setTimeout(run, delay);
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

let current;

function route() {
  takeTokenFromHash();
  if (!sessionStorage.getItem(TOKEN_KEY)) return showLogin('');
  const next = parseRoute();
  if (current && current.accepts(next)) return current.update(next);
  current?.stop();
  current = next.view === 'instance' ? new InstancePage(next) : new ListPage();
}

function showLogin(message) {
  current?.stop();
  current = undefined;
  crumbs.replaceChildren();
  live.className = 'live';
  live.textContent = '';
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true, placeholder: 'dev-token' });
  const form = h(
    'form',
    {
      class: 'login',
      onsubmit: (event) => {
        event.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        route();
      },
    },
    h('h1', { text: 'Open the trace viewer' }),
    h('p', {
      text:
        'The viewer reads this server with its bearer token: the one `prefactor-trace dev` printed (dev-token unless you chose another). ' +
        'It is kept in this tab only (session storage).',
    }),
    message ? h('p', { class: 'error', role: 'alert', text: message }) : null,
    h('label', { for: 'token', text: 'Token' }),
    h('div', { class: 'row-form' }, input, h('button', { type: 'submit', text: 'Open' })),
  );
  app.replaceChildren(form);
  input.focus();
}

// ---------------------------------------------------------------------------------------------
// The instance list

class ListPage {
  constructor() {
    this.seen = undefined;
    this.limit = LIST_PAGE;
    this.rendered = '';
    this.instances = [];
    this.more = h('button', {
      type: 'button',
      class: 'more',
      hidden: true,
      onclick: () => {
        this.limit += LIST_PAGE;
        this.render();
      },
    });
    this.count = h('span', { class: 'muted' });
    this.tbody = h('tbody');
    this.empty = h('p', {
      class: 'muted pad',
      text: `No agent instances yet. Point an agent at this server (PREFACTOR_API_URL=${location.origin}) and its runs appear here as they happen.`,
    });
    const head = ['Status', 'Instance', 'Agent', 'Started', 'Duration', 'Spans', 'Failed'].map((title) => h('th', { text: title }));
    this.tbody.addEventListener('click', (event) => {
      const row = event.target.closest('tr[data-id]');
      if (row && !event.target.closest('a')) navigate(instanceHref(row.dataset.id));
    });
    crumbs.replaceChildren(h('span', { text: 'Agent instances' }));
    app.replaceChildren(
      h('section', { class: 'list' }, h('h1', null, 'Agent instances ', this.count), h('table', { class: 'instances' }, h('thead', null, h('tr', null, head)), this.tbody), this.more, this.empty),
    );
    this.stop = poller(() => this.refresh());
  }

  accepts(next) {
    return next.view === 'list';
  }

  update() {}

  async refresh() {
    const instances = await api('agent_instance');
    // Newest first (the server's order; sorted again so the page never depends on it).
    instances.sort((a, b) => (time(b.inserted_at) || 0) - (time(a.inserted_at) || 0));
    this.instances = instances;
    this.render();
  }

  /** Redraws the table when something changed (or a duration is running). */
  render() {
    const instances = this.instances;
    const shown = instances.slice(0, this.limit);
    const state = JSON.stringify([this.limit, instances]);
    if (state === this.rendered && !shown.some((instance) => instance.status === 'active')) return;
    this.rendered = state;
    const rows = shown.map((instance) => {
      const counts = instance.span_counts ?? {};
      const fresh = this.seen !== undefined && !this.seen.has(instance.id);
      return h(
        'tr',
        { 'data-id': instance.id, 'data-status': instance.status, class: `${counts.failed > 0 ? 'has-failed' : ''}${fresh ? ' fresh' : ''}` },
        h('td', null, statusBadge(instance.status)),
        h('td', null, h('a', { class: 'mono', href: instanceHref(instance.id), text: instance.id })),
        h('td', { text: instance.agent_id ?? '' }),
        h('td', { text: formatTime(instance.started_at ?? instance.inserted_at), title: instance.started_at ?? instance.inserted_at }),
        h('td', { class: 'num', text: durationText(instance) }),
        h('td', { class: 'num spans', text: String(counts.total ?? 0) }),
        h('td', { class: `num failed${counts.failed > 0 ? ' nonzero' : ''}`, text: String(counts.failed ?? 0) }),
      );
    });
    this.seen = new Set(instances.map((instance) => instance.id));
    this.tbody.replaceChildren(...rows);
    this.count.textContent = `(${instances.length})`;
    this.empty.hidden = instances.length > 0;
    this.more.hidden = instances.length <= shown.length;
    this.more.textContent = `Show ${Math.min(LIST_PAGE, instances.length - shown.length)} more of ${instances.length - shown.length}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The instance page: header, quality, filters, virtualised waterfall + tree, span details

class InstancePage {
  constructor(next) {
    this.id = next.id;
    this.instance = undefined;
    this.signature = '';
    this.qualityText = '';
    this.nodes = [];
    this.byId = new Map();
    this.roots = [];
    this.order = [];
    this.visible = [];
    this.collapsed = new Set();
    this.frame = 0;
    this.loaded = false;
    this.readParams(next);

    crumbs.replaceChildren(h('a', { href: '#/', text: 'Agent instances' }), ' / ', h('span', { class: 'mono', text: this.id }));
    this.head = h('section', { class: 'head' }, h('p', { class: 'muted', text: 'Loading…' }));
    this.quality = h('section', { class: 'quality', hidden: true });
    this.typeSelect = h('select', { id: 'filter-type', 'aria-label': 'Span type', onchange: () => this.changeFilter() });
    this.statusSelect = h('select', { id: 'filter-status', 'aria-label': 'Status', onchange: () => this.changeFilter() });
    this.search = h('input', { id: 'filter-text', type: 'search', placeholder: 'Search name, id, payload…', 'aria-label': 'Search' });
    let debounce;
    this.search.addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => this.changeFilter(), 200);
    });
    this.shown = h('span', { class: 'muted shown' });
    this.tabs = {
      timeline: h('button', { type: 'button', class: 'tab', text: 'Timeline', onclick: () => this.setMode('timeline') }),
      text: h('button', { type: 'button', class: 'tab', text: 'Text tree', onclick: () => this.setMode('text') }),
    };
    const toolbar = h(
      'div',
      { class: 'toolbar' },
      h('label', null, 'Type ', this.typeSelect),
      h('label', null, 'Status ', this.statusSelect),
      this.search,
      h('button', { type: 'button', id: 'next-failed', text: 'Next failed ↓', onclick: () => this.nextFailed() }),
      h('button', { type: 'button', text: 'Collapse all', onclick: () => this.collapseAll(true) }),
      h('button', { type: 'button', text: 'Expand all', onclick: () => this.collapseAll(false) }),
      this.shown,
      h('span', { class: 'tabs' }, this.tabs.timeline, this.tabs.text),
    );

    this.axis = h('div', { class: 'axis' });
    this.spacer = h('div', { class: 'spacer' });
    this.rows = h('div', { class: 'rows', role: 'tree', 'aria-label': 'Spans' });
    this.scroller = h('div', { class: 'scroller', tabindex: '0' }, this.spacer, this.rows);
    this.textTree = h('pre', { class: 'text-tree' });
    this.timeline = h('div', { class: 'timeline' }, this.axis, this.scroller);
    this.detail = h('aside', { class: 'detail', 'aria-live': 'polite' });
    app.replaceChildren(h('div', { class: 'instance' }, this.head, this.quality, toolbar, h('div', { class: 'split' }, h('div', { class: 'main' }, this.timeline, this.textTree), this.detail)));

    this.scroller.addEventListener('scroll', () => this.schedule());
    this.scroller.addEventListener('keydown', (event) => this.onKey(event));
    this.rows.addEventListener('click', (event) => {
      const row = event.target.closest('.row');
      if (!row) return;
      if (event.target.closest('.twisty')) this.toggle(row.dataset.span);
      else this.select(row.dataset.span);
    });
    this.onResize = () => this.schedule();
    window.addEventListener('resize', this.onResize);
    this.syncControls();
    this.showDetail();
    this.stop = () => {
      stopPolling();
      window.removeEventListener('resize', this.onResize);
    };
    const stopPolling = poller(() => this.refresh());
  }

  accepts(next) {
    return next.view === 'instance' && next.id === this.id;
  }

  readParams(next) {
    this.selected = next.span;
    this.filters = { type: next.params.get('type') ?? '', status: next.params.get('status') ?? '', q: next.params.get('q') ?? '' };
    this.mode = next.params.get('view') === 'text' ? 'text' : 'timeline';
  }

  params() {
    const params = new URLSearchParams();
    if (this.filters.type) params.set('type', this.filters.type);
    if (this.filters.status) params.set('status', this.filters.status);
    if (this.filters.q) params.set('q', this.filters.q);
    if (this.mode === 'text') params.set('view', 'text');
    return params;
  }

  /** The hash changed within this instance: selection, filters or mode. */
  update(next) {
    this.readParams(next);
    this.syncControls();
    if (JSON.stringify(this.filters) !== this.filteredBy) this.recompute();
    if (this.selected) this.reveal(this.selected);
    this.render();
    this.showDetail();
  }

  changeFilter() {
    this.filters = { type: this.typeSelect.value, status: this.statusSelect.value, q: this.search.value.trim() };
    navigate(instanceHref(this.id, this.selected, this.params()), true);
  }

  setMode(mode) {
    this.mode = mode;
    navigate(instanceHref(this.id, this.selected, this.params()), true);
  }

  select(spanId) {
    navigate(instanceHref(this.id, spanId, this.params()));
  }

  syncControls() {
    this.statusSelect.replaceChildren(
      h('option', { value: '', text: 'all' }),
      ...STATUSES.map((status) => h('option', { value: status, text: `${status} (${this.countOf('status', status)})` })),
    );
    this.statusSelect.value = this.filters.status;
    const types = [...new Set(this.nodes.map((node) => node.span.schema_name))].sort();
    if (this.filters.type && !types.includes(this.filters.type)) types.push(this.filters.type);
    this.typeSelect.replaceChildren(h('option', { value: '', text: 'all' }), ...types.map((type) => h('option', { value: type, text: `${type} (${this.countOf('schema_name', type)})` })));
    this.typeSelect.value = this.filters.type;
    if (this.search.value.trim() !== this.filters.q) this.search.value = this.filters.q;
    this.tabs.timeline.classList.toggle('on', this.mode === 'timeline');
    this.tabs.text.classList.toggle('on', this.mode === 'text');
    this.timeline.hidden = this.mode !== 'timeline';
    this.textTree.hidden = this.mode !== 'text';
  }

  countOf(field, value) {
    let count = 0;
    for (const node of this.nodes) if (node.span[field] === value) count++;
    return count;
  }

  async refresh() {
    let instance;
    try {
      instance = await api(`agent_instance/${encodeURIComponent(this.id)}`);
    } catch (error) {
      if (error.status !== 404) throw error;
      this.head.replaceChildren(h('h1', null, 'No agent instance ', h('span', { class: 'mono', text: this.id }), ' on this server (yet)'), h('a', { href: '#/', text: '← all instances' }));
      return;
    }
    this.instance = instance;
    const signature = JSON.stringify([instance.status, instance.span_counts, instance.finished_at]);
    if (signature !== this.signature) {
      const asked = performance.now();
      const spans = await api(`agent_spans?agent_instance_id=${encodeURIComponent(this.id)}`);
      const fetched = performance.now();
      this.signature = signature;
      this.setSpans(spans);
      // Timings for the curious (and the browser test): the fetch, then tree + first rows.
      performance.measure('viewer:fetch-spans', { start: asked, end: fetched });
      performance.measure('viewer:show-spans', { start: fetched, end: performance.now() });
    } else if (this.isRunning()) {
      this.computeRange();
      this.render();
    }
    this.renderHead();
  }

  isRunning() {
    return this.instance?.status === 'active' || this.instance?.status === 'pending' || this.nodes.some((node) => node.span.status === 'active');
  }

  setSpans(spans) {
    const byId = new Map();
    const nodes = spans.map((span) => {
      const start = time(span.started_at ?? span.inserted_at);
      const node = { span, start, end: time(span.finished_at), sortKey: Number.isNaN(start) ? Infinity : start, parent: undefined, children: [], depth: 0, last: true, match: true };
      byId.set(span.id, node);
      return node;
    });
    const roots = [];
    for (const node of nodes) {
      const parent = node.span.parent_span_id ? byId.get(node.span.parent_span_id) : undefined;
      if (parent && parent !== node) {
        node.parent = parent;
        parent.children.push(node);
      } else {
        roots.push(node);
      }
    }
    const byStart = (a, b) => a.sortKey - b.sortKey || 0;
    roots.sort(byStart);
    for (const node of nodes) if (node.children.length > 1) node.children.sort(byStart);
    // Depth-first order, without recursion (a deep trace cannot overflow the stack). Spans in a
    // parent cycle are unreachable from the roots: they are shown as roots after the others.
    const order = [];
    const reached = new Set();
    const walk = (start) => {
      const stack = [start];
      while (stack.length > 0) {
        const node = stack.pop();
        if (reached.has(node)) continue;
        reached.add(node);
        node.depth = node.parent && reached.has(node.parent) ? node.parent.depth + 1 : 0;
        order.push(node);
        for (let index = node.children.length - 1; index >= 0; index--) stack.push(node.children[index]);
      }
    };
    for (const root of roots) walk(root);
    for (const node of nodes) {
      if (reached.has(node)) continue;
      node.parent = undefined;
      roots.push(node);
      walk(node);
    }
    this.nodes = nodes;
    this.byId = byId;
    this.roots = roots;
    this.order = order;
    this.computeRange();
    this.syncControls();
    this.recompute();
    if (!this.loaded && this.selected) this.reveal(this.selected);
    this.loaded = true;
    this.render();
    this.showDetail();
  }

  computeRange() {
    let from = time(this.instance?.started_at);
    let to = time(this.instance?.finished_at);
    const running = this.isRunning();
    for (const node of this.nodes) {
      if (!Number.isNaN(node.start) && !(node.start >= from)) from = node.start;
      if (!Number.isNaN(node.end) && !(node.end <= to)) to = node.end;
      if (!Number.isNaN(node.start) && !(node.start <= to)) to = node.start;
    }
    if (running) to = Math.max(Number.isNaN(to) ? 0 : to, Date.now());
    if (Number.isNaN(from)) from = Number.isNaN(to) ? Date.now() : to;
    if (Number.isNaN(to) || to <= from) to = from + 1;
    this.range = { from, to, now: Date.now() };
  }

  matches(node) {
    const { type, status, q } = this.filters;
    const span = node.span;
    if (type && span.schema_name !== type) return false;
    if (status && span.status !== status) return false;
    if (q) {
      node.text ??= `${span.schema_name} ${span.id} ${JSON.stringify(span.payload ?? null)} ${JSON.stringify(span.result_payload ?? null)}`.toLowerCase();
      if (!node.text.includes(q.toLowerCase())) return false;
    }
    return true;
  }

  /** The rows to show: the spans that match the filters, with their ancestors for context; collapsed subtrees hidden. */
  recompute() {
    this.filteredBy = JSON.stringify(this.filters);
    const filtering = Boolean(this.filters.type || this.filters.status || this.filters.q);
    let keep;
    let matched = 0;
    if (filtering) {
      keep = new Set();
      for (const node of this.order) {
        node.match = this.matches(node);
        if (!node.match) continue;
        matched++;
        for (let up = node; up && !keep.has(up); up = up.parent) keep.add(up);
      }
    } else {
      for (const node of this.order) node.match = true;
      matched = this.order.length;
    }
    this.filtering = filtering;
    const visible = [];
    const shownChildren = (node) => (keep ? node.children.filter((child) => keep.has(child)) : node.children);
    const stack = [];
    const roots = keep ? this.roots.filter((root) => keep.has(root)) : this.roots;
    for (let index = roots.length - 1; index >= 0; index--) stack.push([roots[index], index === roots.length - 1]);
    while (stack.length > 0) {
      const [node, last] = stack.pop();
      node.last = last;
      visible.push(node);
      if (this.collapsed.has(node.span.id)) continue;
      const children = shownChildren(node);
      for (let index = children.length - 1; index >= 0; index--) stack.push([children[index], index === children.length - 1]);
    }
    this.visible = visible;
    this.shown.textContent = filtering ? `${matched} of ${this.nodes.length} spans match` : `${this.nodes.length} spans`;
  }

  render() {
    if (this.mode === 'text') this.renderText();
    else this.renderRows();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.mode === 'timeline') this.renderRows();
    });
  }

  /** The tree glyphs of `view` (`├─ `, `└─ `, `│  `) for a row. */
  prefixOf(node) {
    let prefix = node.last ? '└─ ' : '├─ ';
    let up = node.parent;
    for (let level = 0; up && level < MAX_GLYPH_DEPTH; level++, up = up.parent) prefix = (up.last ? '   ' : '│  ') + prefix;
    return up ? `⋯${prefix}` : prefix;
  }

  renderAxis() {
    const span = this.range.to - this.range.from;
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => {
      const tick = h('span', { class: 'tick', text: formatDuration(span * fraction) });
      tick.style.left = `${fraction * 100}%`;
      return tick;
    });
    this.axis.replaceChildren(h('div', { class: 'axis-name', text: 'Span' }), h('div', { class: 'axis-lane' }, ticks));
  }

  renderRows() {
    if (!this.range) return;
    this.renderAxis();
    const { scrollTop, clientHeight } = this.scroller;
    const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN);
    const last = Math.min(this.visible.length, Math.ceil((scrollTop + clientHeight) / ROW_PX) + OVERSCAN);
    this.spacer.style.height = `${this.visible.length * ROW_PX}px`;
    const rows = [];
    for (let index = first; index < last; index++) rows.push(this.row(this.visible[index], index));
    this.rows.replaceChildren(...rows);
  }

  row(node, index) {
    const { span } = node;
    const { from, to } = this.range;
    const failed = span.status === 'failed';
    const classes = ['row', `s-${span.status}`];
    if (span.id === this.selected) classes.push('selected');
    if (this.filtering && !node.match) classes.push('context');
    const hasChildren = node.children.length > 0;
    const collapsed = this.collapsed.has(span.id);
    const row = h(
      'div',
      { class: classes.join(' '), role: 'treeitem', 'aria-level': node.depth + 1, 'aria-selected': span.id === this.selected ? 'true' : 'false', 'data-span': span.id, 'data-depth': node.depth, 'data-status': span.status },
      h(
        'div',
        { class: 'name', title: span.schema_title ? `${span.schema_name}: ${span.schema_title}` : span.schema_name },
        h('span', { class: 'glyph', text: this.prefixOf(node) }),
        hasChildren ? h('button', { type: 'button', class: 'twisty', 'aria-label': collapsed ? 'Expand' : 'Collapse', 'aria-expanded': collapsed ? 'false' : 'true', text: collapsed ? '▸' : '▾' }) : null,
        h('span', { class: 'type', text: span.schema_name }),
        failed ? h('span', { class: 'mark', text: '✗' }) : null,
        collapsed ? h('span', { class: 'muted', text: ` +${this.descendants(node)}` }) : null,
        h('span', { class: 'dur', text: durationText(span) }),
      ),
    );
    row.style.top = `${index * ROW_PX}px`;
    const start = Number.isNaN(node.start) ? from : node.start;
    const end = Number.isNaN(node.end) ? (span.status === 'active' ? this.range.now : start) : node.end;
    const bar = h('div', { class: 'bar' });
    bar.style.left = `${((start - from) / (to - from)) * 100}%`;
    bar.style.width = `${(Math.max(0, end - start) / (to - from)) * 100}%`;
    row.append(h('div', { class: 'lane' }, bar));
    return row;
  }

  descendants(node) {
    let count = 0;
    const stack = [...node.children];
    while (stack.length > 0) {
      const next = stack.pop();
      count++;
      stack.push(...next.children);
    }
    return count;
  }

  renderText() {
    const lines = [];
    const instance = this.instance;
    if (instance) {
      const counts = instance.span_counts;
      const spans = counts ? `, ${counts.total} spans${counts.failed > 0 ? `, ${counts.failed} failed` : ''}` : '';
      lines.push(`Agent instance ${instance.id} (${instance.status}, ${durationText(instance)}${spans})`);
    }
    if (this.visible.length === 0) lines.push('(no spans)');
    for (const node of this.visible) {
      const span = node.span;
      const payload = summarize(span.payload);
      const result = summarize(span.result_payload);
      const summary = [payload, result && `→ ${result}`].filter(Boolean).join(' ');
      const status = span.status === 'failed' ? '✗ failed' : span.status;
      lines.push(`${this.prefixOf(node)}${[span.schema_name, status, durationText(span), summary].filter(Boolean).join('  ')}`);
    }
    this.textTree.textContent = `${lines.join('\n')}\n`;
  }

  renderHead() {
    const instance = this.instance;
    const counts = instance.span_counts ?? {};
    const facts = [
      ['Agent', instance.agent_id ?? ''],
      ['Started', formatInstant(instance.started_at ?? instance.inserted_at)],
      ['Duration', durationText(instance)],
      ['Spans', String(counts.total ?? this.nodes.length)],
    ];
    const failed = counts.failed ?? 0;
    this.head.replaceChildren(
      h('h1', null, h('span', { class: 'mono', text: instance.id }), ' ', statusBadge(instance.status)),
      h(
        'dl',
        { class: 'facts' },
        facts.map(([term, value]) => h('div', null, h('dt', { text: term }), h('dd', { text: value }))),
        h('div', { class: failed > 0 ? 'failed' : '' }, h('dt', { text: 'Failed' }), h('dd', { text: String(failed) })),
        instance.termination_reason ? h('div', null, h('dt', { text: 'Terminated' }), h('dd', { text: String(instance.termination_reason) })) : null,
      ),
    );
    // Quality records (`record_quality`): the local server reports them as `quality_payloads`, a map
    // from name to payload; any other `*quality*` field is shown as it is. Re-rendered only when they
    // change, so the reader's open/closed JSON stays as it is.
    const quality = [];
    for (const [key, value] of Object.entries(instance)) {
      if (!/quality/i.test(key) || value === null || value === undefined) continue;
      if (key === 'quality_payloads' && typeof value === 'object' && !Array.isArray(value)) quality.push(...Object.entries(value));
      else quality.push([key, value]);
    }
    const qualityText = JSON.stringify(quality);
    if (qualityText !== this.qualityText) {
      this.qualityText = qualityText;
      this.quality.hidden = quality.length === 0;
      this.quality.replaceChildren(h('h2', { text: 'Quality' }), ...quality.map(([name, payload]) => jsonView(payload, 0, name)));
    }
  }

  showDetail() {
    if (!this.selected) {
      this.detailFor = undefined;
      this.detail.replaceChildren(h('p', { class: 'muted', text: 'Click a span to see its type, status, times, payload and result.' }));
      return;
    }
    const node = this.byId.get(this.selected);
    if (!node) {
      this.detailFor = undefined;
      this.detail.replaceChildren(h('p', { class: 'muted' }, this.loaded ? 'No span ' : 'Loading span ', h('span', { class: 'mono', text: this.selected }), this.loaded ? ' in this instance (yet).' : '…'));
      return;
    }
    const { span } = node;
    const rendered = JSON.stringify(span);
    if (this.detailFor === rendered) return;
    this.detailFor = rendered;
    const parent = node.parent?.span;
    const facts = [
      ['Span type', span.schema_name],
      ['Title', span.schema_title],
      ['Status', statusBadge(span.status)],
      ['Span id', h('span', { class: 'mono', text: span.id })],
      ['Parent', parent ? h('a', { href: instanceHref(this.id, parent.id, this.params()), text: parent.schema_name }) : span.parent_span_id ? h('span', { class: 'mono', text: span.parent_span_id }) : 'none (root)'],
      ['Started', formatInstant(span.started_at)],
      ['Finished', formatInstant(span.finished_at)],
      ['Duration', durationText(span)],
      ['Children', String(node.children.length)],
    ];
    const extra = Object.fromEntries(Object.entries(span).filter(([key, value]) => !KNOWN_SPAN_FIELDS.has(key) && value !== null && value !== undefined));
    const parts = [
      h('h2', null, span.status === 'failed' ? h('span', { class: 'mark', text: '✗ ' }) : null, span.schema_name),
      h('dl', { class: 'facts vertical' }, facts.filter(([, value]) => value !== undefined && value !== null && value !== '').map(([term, value]) => h('div', null, h('dt', { text: term }), h('dd', null, value)))),
      h('p', null, h('a', { class: 'permalink', href: instanceHref(this.id, span.id), text: 'Link to this span' })),
      jsonBlock('Payload', span.payload),
      jsonBlock('Result', span.result_payload),
      Object.keys(extra).length > 0 ? jsonBlock('Other fields', extra) : null,
    ];
    this.detail.replaceChildren(...parts.filter(Boolean));
  }

  /** Makes `spanId` visible: expands its ancestors and scrolls its row into view. */
  reveal(spanId) {
    const node = this.byId.get(spanId);
    if (!node) return;
    let expanded = false;
    for (let up = node.parent; up; up = up.parent) expanded = this.collapsed.delete(up.span.id) || expanded;
    if (expanded) this.recompute();
    const index = this.visible.indexOf(node);
    if (index < 0 || this.mode !== 'timeline') return;
    const { scrollTop, clientHeight } = this.scroller;
    if (index * ROW_PX < scrollTop || (index + 1) * ROW_PX > scrollTop + clientHeight) this.scroller.scrollTop = Math.max(0, index * ROW_PX - clientHeight / 2);
  }

  toggle(spanId) {
    if (!this.collapsed.delete(spanId)) this.collapsed.add(spanId);
    this.recompute();
    this.render();
  }

  collapseAll(collapse) {
    this.collapsed.clear();
    if (collapse) for (const node of this.nodes) if (node.children.length > 0) this.collapsed.add(node.span.id);
    this.recompute();
    this.render();
  }

  nextFailed() {
    // The first failed span after the selected one in tree order, wrapping around.
    const at = this.selected ? this.order.indexOf(this.byId.get(this.selected)) : -1;
    for (let step = 1; step <= this.order.length; step++) {
      const node = this.order[(at + step + this.order.length) % this.order.length];
      if (node.span.status === 'failed') return this.select(node.span.id);
    }
  }

  onKey(event) {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    const at = this.visible.indexOf(this.byId.get(this.selected));
    const next = this.visible[Math.min(this.visible.length - 1, Math.max(0, at + (event.key === 'ArrowDown' ? 1 : -1)))];
    if (next) navigate(instanceHref(this.id, next.span.id, this.params()), true);
  }
}

window.addEventListener('hashchange', route);
route();

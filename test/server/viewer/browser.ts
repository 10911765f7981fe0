// The viewer in a real browser: headless Chromium (Debian's package) driven by playwright-core, against a
// local server filled by real traced runs. One browser for the whole file.
import { setTimeout as delay } from 'node:timers/promises';
import t from 'tap';
import type { BrowserContext, Page } from 'playwright-core';
import { Tracer } from '../../../src/index.js';
import type { LocalServer, SpanTreeNode } from '../../../src/server/index.js';
import { renderSpanTree } from '../../../src/server/index.js';
import { launchBrowser } from '../../fixtures/browser.js';
import { withServer } from '../../fixtures/server.js';

t.setTimeout(180_000);

const SCRIPT_PAYLOAD = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

function tracerFor(server: LocalServer): Tracer {
  return new Tracer({ apiUrl: server.url, apiToken: server.token, agentId: 'trip-agent', logger: false });
}

/** A small agent: a plan with an LLM call and three tools in parallel (one fails), then a note whose payload is markup. */
async function tracedRun(server: LocalServer): Promise<string> {
  const tracer = tracerFor(server);
  const id = await tracer.withInstance({ purpose: 'viewer test' }, async (instance) => {
    await tracer.withSpan('agent:plan', { goal: 'weekend in Lisbon' }, async () => {
      await tracer.withSpan('agent:llm', { model: 'stub-1', prompt: 'plan a weekend' }, async () => {
        await delay(5);
        return { text: 'weather, flights, hotel' };
      });
      await Promise.all(
        ['weather', 'flights', 'hotels'].map((tool) =>
          tracer
            .withSpan('agent:tool', { tool, input: 'Lisbon' }, async () => {
              await delay(5);
              if (tool === 'hotels') throw new Error('hotels API: no rooms left');
              return `${tool}: ok`;
            })
            .catch(() => 'unavailable'),
        ),
      );
    });
    await tracer.withSpan('agent:note', { note: SCRIPT_PAYLOAD }, () => undefined);
    return instance.id;
  });
  if (!(await tracer.shutdown({ timeoutMs: 10_000 }))) throw new Error('the traced run was not delivered');
  return id;
}

/** The spans of a tree in depth-first order, as `depth name status`. */
function flatten(nodes: readonly SpanTreeNode[], depth = 0): string[] {
  return nodes.flatMap((node) => [`${depth} ${node.schema_name} ${node.status}`, ...flatten(node.children, depth + 1)]);
}

/** The timeline rows on the page, in order, as `depth name status`. */
function rowsOf(page: Page): Promise<string[]> {
  // Page-side code is a string: this project compiles without the DOM types.
  return page.evaluate(`[...document.querySelectorAll('.rows .row')]
    .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
    .map((row) => row.dataset.depth + ' ' + row.querySelector('.type').textContent + ' ' + row.dataset.status)`);
}

async function login(page: Page, token: string): Promise<void> {
  await page.fill('#token', token);
  await page.click('.login button[type=submit]');
}

let server: LocalServer;
let first: string;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const dialogs: string[] = [];

t.before(async () => {
  server = await withServer(t, { token: 'viewer-token' });
  first = await tracedRun(server);
  context = await launchBrowser(t);
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});

t.test('the viewer asks for the token, refuses a wrong one, then lists the instances', async (t) => {
  await page.goto(`${server.url}/`);
  await page.locator('.login').waitFor();
  await login(page, 'wrong-token');
  await page.locator('.login .error').waitFor();
  t.match(await page.textContent('.login .error'), 'The server refused that token');
  await login(page, server.token);
  const row = page.locator(`tr[data-id="${first}"]`);
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  t.same(cells.slice(0, 3), ['complete', first, 'trip-agent']);
  t.same(cells.slice(5), ['6', '1'], '6 spans, 1 failed');
  t.ok(await page.evaluate(`sessionStorage.getItem('prefactor-trace.token')`), 'the token is kept in session storage');
});

t.test('the list updates live: a new instance and its spans appear without a reload', async (t) => {
  const tracer = tracerFor(server);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let liveId = '';
  const started = new Promise<void>((resolve) => {
    void tracer.withInstance({ purpose: 'live' }, async (instance) => {
      liveId = instance.id;
      tracer.withSpan('live:first', { n: 1 }, () => undefined);
      await tracer.flush();
      resolve();
      await gate;
      tracer.withSpan('live:second', { n: 2 }, () => undefined);
      await tracer.flush();
      await gate;
    });
  });
  await started;
  const row = page.locator(`tr[data-id="${liveId}"]`);
  await row.waitFor();
  t.equal(await row.getAttribute('data-status'), 'active', 'the running instance is listed as active');
  t.equal(await page.locator('tbody tr').first().getAttribute('data-id'), liveId, 'newest first');

  await row.locator('a').click();
  await page.locator('.row[data-span]').first().waitFor();
  t.same(await rowsOf(page), ['0 live:first complete']);
  release();
  await page.locator('.row:has-text("live:second")').waitFor();
  t.same(await rowsOf(page), ['0 live:first complete', '0 live:second complete']);
  t.equal(await tracer.shutdown({ timeoutMs: 10_000 }), true);
  await page.locator('.head .badge.s-complete').waitFor();
  t.pass('the instance turns complete on the page');
});

t.test('the instance page shows every span nested as the server stores them, and the same text tree as `view`', async (t) => {
  await page.goto(`${server.url}/#/i/${first}`);
  await page.locator('.rows .row').nth(5).waitFor();
  const tree = server.tree(first);
  t.same(await rowsOf(page), flatten(tree));
  t.same(await rowsOf(page), ['0 agent:plan complete', '1 agent:llm complete', '1 agent:tool complete', '1 agent:tool complete', '1 agent:tool failed', '0 agent:note complete']);
  const failed = page.locator('.row[data-status=failed]');
  t.equal(await failed.count(), 1);
  t.match(await failed.getAttribute('class'), /\bs-failed\b/);
  t.equal(await failed.locator('.mark').textContent(), '✗', 'the failed span is marked');
  t.equal(await page.textContent('.facts .failed dd'), '1');

  await page.click('.tab:has-text("Text tree")');
  const text = await page.textContent('.text-tree');
  t.equal(text, renderSpanTree(tree, { instance: server.instance(first)! }), 'the text tree is what `prefactor-trace view` prints');
  t.match(page.url(), /\?view=text$/);
  await page.click('.tab:has-text("Timeline")');
});

t.test('a click shows the span: type, status, times, payload and result, and a link to it', async (t) => {
  const failedId = server.spans(first).find((span) => span.status === 'failed')!.id;
  await page.click('.row[data-status=failed]');
  await page.locator('.detail h2:has-text("agent:tool")').waitFor();
  t.match(page.url(), `#/i/${first}/s/${failedId}`);
  const detail = (await page.textContent('.detail'))!;
  t.match(detail, 'Span typeagent:tool');
  t.match(detail, 'Status✗ failed');
  t.match(detail, /Started\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC/);
  t.match(detail, 'tool: "hotels"');
  t.match(detail, 'message: "hotels API: no rooms left"');
  t.equal(await page.getAttribute('.detail .permalink', 'href'), `#/i/${first}/s/${failedId}`);
  t.equal(await page.evaluate(`[...document.querySelector('.detail').childNodes].filter((node) => node.nodeType === 3).length`), 0, 'no stray text');
  await page.click('.detail summary:has-text("{1 key}")');
  t.equal(await page.locator('.detail .json').nth(1).locator('details').first().getAttribute('open'), null, 'the JSON collapses');
});

t.test('a payload with <script> and markup is shown as text and never runs', async (t) => {
  await page.click('.row:has-text("agent:note")');
  await page.locator('.detail h2:has-text("agent:note")').waitFor();
  t.equal(await page.textContent('.detail .v.string'), `"${SCRIPT_PAYLOAD}"`);
  t.equal(await page.locator('.detail script, .detail img').count(), 0, 'no element was made from the payload');
  await page.click('.tab:has-text("Text tree")');
  t.match(await page.textContent('.text-tree'), SCRIPT_PAYLOAD.slice(0, 20));
  t.equal(await page.evaluate('window.__pwned'), undefined, 'nothing ran');
  t.same(dialogs, []);
  await page.click('.tab:has-text("Timeline")');
});

t.test('filters by span type and status keep the matching spans with their ancestors, in the URL', async (t) => {
  await page.selectOption('#filter-status', 'failed');
  await page.waitForURL(/status=failed/);
  t.same(await rowsOf(page), ['0 agent:plan complete', '1 agent:tool failed']);
  t.equal(await page.locator('.row.context').count(), 1, 'the ancestor is shown as context');
  t.match(await page.textContent('.shown'), '1 of 6 spans match');
  await page.selectOption('#filter-status', '');
  await page.selectOption('#filter-type', 'agent:tool');
  await page.waitForURL(/type=agent%3Atool/);
  t.same(await rowsOf(page), ['0 agent:plan complete', '1 agent:tool complete', '1 agent:tool complete', '1 agent:tool failed']);
  await page.fill('#filter-text', 'flights');
  await page.waitForURL(/q=flights/);
  t.same(await rowsOf(page), ['0 agent:plan complete', '1 agent:tool complete']);
  await page.goto(`${server.url}/#/i/${first}`);
  await page.locator('.rows .row').nth(5).waitFor();
});

t.test('a deep link to a span opens it in a new tab, after the token', async (t) => {
  const failedId = server.spans(first).find((span) => span.status === 'failed')!.id;
  const tab = await context.newPage();
  t.teardown(() => tab.close());
  await tab.goto(`${server.url}/#/i/${first}/s/${failedId}?status=failed`);
  await login(tab, server.token);
  await tab.locator('.detail h2:has-text("agent:tool")').waitFor();
  t.equal(await tab.getAttribute('.row.selected', 'data-span'), failedId);
  t.equal(await tab.inputValue('#filter-status'), 'failed');
  const link = await tab.evaluate('location.hash');
  t.equal(link, `#/i/${first}/s/${failedId}?status=failed`);
});

t.test('10,000 spans in one instance: the page stays virtualised and responsive', async (t) => {
  const tracer = tracerFor(server);
  const big = await tracer.withInstance({ purpose: 'big' }, async (instance) => {
    for (let step = 0; step < 100; step++) {
      await tracer.withSpan('agent:step', { step }, async () => {
        for (let call = 0; call < 99; call++) {
          try {
            tracer.withSpan(call % 2 ? 'agent:tool' : 'agent:llm', { step, call }, () => {
              if (step === 87 && call === 42) throw new Error('boom');
              return { ok: true };
            });
          } catch {
            // The one failed span.
          }
        }
      });
    }
    return instance.id;
  });
  t.equal(await tracer.shutdown({ timeoutMs: 60_000 }), true);
  t.equal(server.spans(big).length, 10_000);

  await page.evaluate(`window.__longest = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longest = Math.max(window.__longest, entry.duration);
    }).observe({ type: 'longtask' })`);
  const opened = performance.now();
  await page.evaluate(`location.hash = '#/i/${big}'`);
  await page.locator('.shown:has-text("10000 spans")').waitFor();
  const loadMs = performance.now() - opened;
  const rendered = await page.locator('.rows .row').count();
  t.ok(rendered > 10 && rendered < 200, `only the rows in view exist (${rendered} of 10000)`);

  const scrolled = performance.now();
  await page.evaluate(`document.querySelector('.scroller').scrollTop = 1e9`);
  const lastId = flatten(server.tree(big)).length - 1;
  await page.locator(`.row[style*="top: ${lastId * 24}px"]`).waitFor();
  const scrollMs = performance.now() - scrolled;

  const found = performance.now();
  await page.click('#next-failed');
  await page.locator('.row.selected[data-status=failed]').waitFor();
  const failedMs = performance.now() - found;
  t.match(await page.textContent('.detail'), 'message: "boom"');

  const filtered = performance.now();
  await page.selectOption('#filter-status', 'failed');
  await page.locator('.shown:has-text("1 of 10000 spans match")').waitFor();
  const filterMs = performance.now() - filtered;
  const longest = await page.evaluate<number>('window.__longest');
  const [fetchMs, showMs] = await page.evaluate<number[]>(
    `['viewer:fetch-spans', 'viewer:show-spans'].map((name) => Math.max(...performance.getEntriesByName(name).map((entry) => entry.duration)))`,
  );
  t.comment(
    `10,000 spans: open ${loadMs.toFixed(0)} ms (fetching the spans ${fetchMs!.toFixed(0)} ms, tree and first rows ${showMs!.toFixed(0)} ms), scroll to the end ${scrollMs.toFixed(0)} ms, ` +
      `next failed ${failedMs.toFixed(0)} ms, filter ${filterMs.toFixed(0)} ms; longest main-thread task ${longest.toFixed(0)} ms; ${rendered} rows in the DOM`,
  );
  t.ok(longest < 5000, 'no task freezes the page for seconds');
});

t.test('no script error on any page', async (t) => {
  t.same(pageErrors, []);
});

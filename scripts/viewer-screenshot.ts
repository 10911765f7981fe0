// Renders docs/viewer.png: runs the demo with --serve, opens its trace in headless Chromium with the
// failed span selected, and takes a screenshot of the instance page.
//   node --import tsx scripts/viewer-screenshot.ts [out.png]
import { spawn } from 'node:child_process';
import { launchBrowser } from '../test/fixtures/browser.js';

const out = process.argv[2] ?? 'docs/viewer.png';
const demo = spawn(process.execPath, ['--import', 'tsx', 'examples/agent.ts', '--serve'], { env: { ...process.env, NO_COLOR: '1' } });
const teardowns: (() => unknown)[] = [() => demo.kill('SIGINT')];
try {
  let stdout = '';
  const link = await new Promise<string>((resolve, reject) => {
    demo.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const match = /Open the trace in the browser viewer: (\S+)\n/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    demo.on('exit', () => reject(new Error(`the demo exited:\n${stdout}`)));
  });
  const context = await launchBrowser({ teardown: (fn) => teardowns.unshift(fn) });
  const page = await context.newPage();
  await page.setViewportSize({ width: 1360, height: 680 });
  await page.goto(link);
  await page.locator('.rows .row').nth(7).waitFor();
  await page.click('.row[data-status=failed]');
  await page.locator('.detail .json').first().waitFor();
  await page.screenshot({ path: out });
  console.log(`Wrote ${out}`);
} finally {
  for (const teardown of teardowns) await teardown();
}

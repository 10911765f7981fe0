import t from 'tap';
import { outputOf, spawnScript } from '../../fixtures/child-env.js';

t.test('importing prefactor-trace loads neither OpenTelemetry nor the AI SDK', async (t) => {
  const { stdout } = await outputOf(spawnScript('test/fixtures/import-blocked.ts', ['src/index.ts']));
  t.equal(stdout.trim(), 'loaded');
});

t.test('the check can fail: prefactor-trace/otel does load @opentelemetry/api', async (t) => {
  const { stdout } = await outputOf(spawnScript('test/fixtures/import-blocked.ts', ['src/integrations/otel/index.ts']));
  t.match(stdout, /blocked import of @opentelemetry\/api/);
});

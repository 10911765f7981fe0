import { once } from 'node:events';
import t from 'tap';
import { spawnScript } from '../fixtures/child-env.js';
import { withServer } from '../fixtures/server.js';

t.test('examples/http-server.ts gives each of 40 concurrent requests its own instance, and flushes on SIGTERM', async (t) => {
  const server = await withServer(t);
  const child = spawnScript('examples/http-server.ts', [], {
    PORT: '0',
    PREFACTOR_API_URL: server.url,
    PREFACTOR_API_TOKEN: server.token,
    PREFACTOR_AGENT_ID: 'http-agent',
  });
  t.teardown(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const [banner] = (await once(child.stdout, 'data')) as [Buffer];
  const url = /http:\/\/127\.0\.0\.1:\d+/.exec(String(banner))![0];

  const questions = Array.from({ length: 40 }, (_, index) => `question-${index}`);
  const answers = await Promise.all(
    questions.map(async (question) => {
      const response = await fetch(`${url}/?q=${question}`);
      return { question, instanceId: response.headers.get('x-agent-instance-id')!, text: await response.text() };
    }),
  );
  child.kill('SIGTERM');
  const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
  t.equal(signal, 'SIGTERM', 'the signal still ends the process after the flush');
  t.equal(stderr, '', 'nothing on stderr');

  t.equal(new Set(answers.map((answer) => answer.instanceId)).size, 40, 'one instance per request');
  for (const { question, instanceId, text } of answers) {
    t.equal(text, `You asked "${question}".`);
    t.equal(server.instance(instanceId)?.status, 'complete', `${question}: instance complete on the server`);
    t.same(
      server.spans(instanceId).map((span) => [span.schema_name, span.parent_span_id ?? null, span.payload, span.status]),
      [
        ['agent:retrieve', null, { query: question }, 'complete'],
        ['agent:llm', null, { prompt: question, documents: 1 }, 'complete'],
      ],
      `${question}: exactly its own two spans`,
    );
  }
});

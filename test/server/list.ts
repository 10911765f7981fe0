import t from 'tap';
import type { AgentInstance } from '../../src/models/index.js';
import { renderInstanceList } from '../../src/server/list.js';

function instance(fields: Partial<AgentInstance>): AgentInstance {
  return {
    type: 'agent_instance',
    id: 'i-1',
    account_id: 'acc',
    agent_id: 'agent-1',
    agent_version_id: 'v',
    environment_id: 'env',
    status: 'complete',
    inserted_at: '2026-11-29T10:00:00.000Z',
    updated_at: '2026-11-29T10:00:00.000Z',
    started_at: '2026-11-29T10:00:01.000Z',
    finished_at: '2026-11-29T10:00:03.500Z',
    span_counts: { total: 12, pending: 0, active: 0, complete: 10, failed: 2, cancelled: 0, finished: 12 },
    ...fields,
  } as AgentInstance;
}

t.test('renderInstanceList prints one aligned line per instance, in the order given', async (t) => {
  const text = renderInstanceList([
    instance({}),
    instance({ id: 'i-22', agent_id: 'a', status: 'active', started_at: null, finished_at: null, span_counts: undefined }),
    instance({ id: 'i-3', status: 'pending', started_at: null, finished_at: null, inserted_at: 'garbage' }),
  ]);
  t.equal(
    text,
    [
      'STATUS    INSTANCE  AGENT    STARTED (UTC)        DURATION  SPANS  FAILED',
      'complete  i-1       agent-1  2026-11-29 10:00:01  2.50s        12       2',
      'active    i-22      a        2026-11-29 10:00:00  running',
      'pending   i-3       agent-1                                    12       2',
      '',
    ].join('\n'),
  );
});

t.test('renderInstanceList colours statuses and non-zero failed counts, and says when there is nothing', async (t) => {
  t.equal(renderInstanceList([]), '(no agent instances)\n');
  const coloured = renderInstanceList([instance({}), instance({ id: 'i-2', status: 'failed', span_counts: { total: 1, pending: 0, active: 0, complete: 1, failed: 0, cancelled: 0, finished: 1 } })], { color: true });
  t.match(coloured, '\u001B[32mcomplete\u001B[0m');
  t.match(coloured, '\u001B[31mfailed  \u001B[0m');
  t.match(coloured, '\u001B[1;31m     2\u001B[0m');
  t.match(coloured, /\u001B\[2m2\.50s {3}\u001B\[0m/);
  t.notMatch(coloured.split('\n')[2]!, '1;31', 'a zero failed count is plain');
});

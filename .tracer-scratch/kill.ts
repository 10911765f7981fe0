import { Tracer, InMemorySink } from '../src/index.js';
const sink = new InMemorySink();
const tracer = new Tracer({ sink, logger: console, onTerminate: (i, r) => { console.log('onTerminate', i, r); throw new Error('x'); } });
const id = await tracer.withInstance(async (instance) => {
  const aborted = new Promise((resolve) => instance.signal.addEventListener('abort', resolve));
  sink.terminate(instance.id, 'budget exceeded');
  console.log('aborted?', instance.signal.aborted);
  await aborted;
  return instance.id;
});
console.log(id, sink.instances());

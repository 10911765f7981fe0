import t from 'tap';
import { ROOT_CONTEXT, context, createContextKey, trace } from '@opentelemetry/api';
import { InMemorySink, init } from '../../../src/index.js';
import { AsyncLocalStorageOTelContextManager, registerPrefactorOTel } from '../../../src/integrations/otel/index.js';
import { named } from '../../fixtures/otel.js';

t.test('registerPrefactorOTel: a global provider and context manager, for a program with no OTel set-up', async (t) => {
  const sink = new InMemorySink();
  const tracer = init({ sink, logger: false });
  const registration = registerPrefactorOTel();
  t.equal(registration.contextManagerRegistered, true);
  const otel = trace.getTracer('lib');
  const instanceId = await tracer.withInstance(async (instance) => {
    await tracer.withSpan('step', () =>
      otel.startActiveSpan('lib call', async (span) => {
        await new Promise((resolve) => setImmediate(resolve));
        otel.startSpan('nested after an await').end();
        span.end();
      }),
    );
    return instance.id;
  });
  t.same(named(sink.tree(instanceId)), [{ name: 'step', children: [{ name: 'lib call', children: [{ name: 'nested after an await', children: [] }] }] }]);
  t.throws(() => registerPrefactorOTel(), { code: 'ERR_PREFACTOR_CONFIG', message: /already registered/ });
  await registration.shutdown();
  t.equal(trace.getTracer('lib').startSpan('after').isRecording(), false, 'the provider is unregistered');
  await tracer.shutdown();
});

t.test('registerPrefactorOTel keeps a context manager the program already has', async (t) => {
  const manager = new AsyncLocalStorageOTelContextManager().enable();
  context.setGlobalContextManager(manager);
  const registration = registerPrefactorOTel({ bridgeContext: false });
  t.equal(registration.contextManagerRegistered, false);
  await registration.shutdown();
  context.disable();
});

t.test('AsyncLocalStorageOTelContextManager: with, bind, enable and disable', async (t) => {
  const manager = new AsyncLocalStorageOTelContextManager();
  const key = createContextKey('k');
  const ctx = ROOT_CONTEXT.setValue(key, 1);
  t.equal(manager.with(ctx, () => manager.active()), ROOT_CONTEXT, 'disabled: with() only calls fn');
  manager.enable();
  t.equal(manager.with(ctx, (a: number, b: number) => a + b, undefined, 1, 2), 3);
  const bound = manager.bind(ctx, function (this: unknown, value: number) {
    return [manager.active().getValue(key), value, this];
  });
  t.same(bound.call('self', 5), [1, 5, 'self']);
  const emitter = {};
  t.equal(manager.bind(ctx, emitter), emitter);
  await manager.with(ctx, async () => {
    await new Promise((resolve) => setImmediate(resolve));
    t.equal(manager.active().getValue(key), 1, 'follows awaits');
  });
  manager.disable();
  t.equal(manager.active(), ROOT_CONTEXT);
});

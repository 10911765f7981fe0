import t from 'tap';
import { DEFAULT_REDACT_KEYS } from '../../src/tracing/redaction.js';
import { defineSpanType } from '../../src/tracing/span-types.js';
import { Tracer } from '../../src/tracing/tracer.js';
import { memoryTracer } from '../fixtures/tracer.js';

t.test('the default keys are masked in payloads and results; the user\'s objects are untouched', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const payload = { model: 'm', headers: { Authorization: 'Bearer abc', accept: 'json' }, max_tokens: 5 };
  const result = { text: 'ok', session: { access_token: 't' } };
  tracer.withSpan('llm', payload, () => result);
  const [span] = sink.spans();
  t.same(span!.payload, { model: 'm', headers: { Authorization: '[REDACTED]', accept: 'json' }, max_tokens: 5 });
  t.same(span!.resultPayload, { text: 'ok', session: { access_token: '[REDACTED]' } });
  t.equal(payload.headers.Authorization, 'Bearer abc', 'the payload object is unchanged');
  t.equal(result.session.access_token, 't', 'the result object is unchanged');
  t.equal(tracer.stats().redactionFailures, 0);
});

t.test('redact replaces the default set; false turns key masking off', async (t) => {
  const custom = memoryTracer(t, { redact: [...DEFAULT_REDACT_KEYS, 'ssn', 'user.email'] });
  custom.tracer.withSpan('s', { ssn: 1, password: 2, user: { email: 'e' }, email: 'kept' }, () => undefined);
  t.same(custom.sink.spans()[0]!.payload, { ssn: '[REDACTED]', password: '[REDACTED]', user: { email: '[REDACTED]' }, email: 'kept' });
  const off = memoryTracer(t, { redact: false });
  off.tracer.withSpan('s', { password: 'p' }, () => undefined);
  t.same(off.sink.spans()[0]!.payload, { password: 'p' });
});

t.test('redactPayload gets a masked copy with its context; its answer is sent', async (t) => {
  const calls: unknown[] = [];
  const { tracer, sink } = memoryTracer(t, {
    redactPayload: (payload, context) => {
      calls.push({ payload: structuredClone(payload), context });
      if (context.kind === 'result') {
        payload['extra'] = 'set in place';
        return undefined;
      }
      return { ...payload, prompt: '<removed>' };
    },
  });
  const payload = { prompt: 'secret plan', token: 't' };
  tracer.withSpan('llm', payload, () => ({ answer: 42 }));
  t.same(calls, [
    { payload: { prompt: 'secret plan', token: '[REDACTED]' }, context: { spanType: 'llm', kind: 'payload' } },
    { payload: { answer: 42 }, context: { spanType: 'llm', kind: 'result' } },
  ]);
  t.same(sink.spans()[0]!.payload, { prompt: '<removed>', token: '[REDACTED]' });
  t.same(sink.spans()[0]!.resultPayload, { answer: 42, extra: 'set in place' });
  t.same(payload, { prompt: 'secret plan', token: 't' });
});

t.test('a hook that throws or answers something unserialisable fails closed: counted, logged once', async (t) => {
  const answers: unknown[] = [() => { throw new Error('hook bug'); }, () => 'text', () => [1], () => ({ big: 1n }), () => null, () => { throw 'a string'; }];
  let next = 0;
  const { tracer, sink, logger } = memoryTracer(t, {
    redactPayload: () => {
      const answer = answers[next++]!;
      return typeof answer === 'function' ? (answer as () => unknown)() : answer;
    },
  });
  for (let index = 0; index < answers.length; index++) tracer.withSpan('s', { password: 'p', index }, () => undefined);
  t.same(sink.spans().map((span) => span.payload), Array.from({ length: 6 }, () => ({ redacted: 'redaction_failed' })));
  t.equal(tracer.stats().redactionFailures, 6);
  t.equal(logger.messages('error').length, 1);
  t.match(logger.messages('error')[0], /Redaction failed \(redactPayload\) for a payload of span type "s": hook bug/);
});

t.test('per span type: its own keys, and content left out for sensitive data-risk types', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  const lookup = defineSpanType({ name: 'crm:lookup', redact: ['customer.phone'] });
  const login = defineSpanType({ name: 'auth:login', dataRisk: { params_data_categories: { authentication_and_secrets: 'included' } } });
  const health = defineSpanType({ name: 'health', dataRisk: { result_data_categories: { health_and_medical: 'included' } }, redact: [] });
  const notes = defineSpanType({ name: 'notes', dataRisk: { result_data_categories: { classification: 'restricted' } } });
  tracer.withSpan(lookup, { customer: { phone: '1', name: 'n' }, token: 't' }, () => ({ ok: true }));
  tracer.withSpan(login, { user: 'u', pin: '1234' }, () => ({ ok: true }));
  tracer.withSpan(health, { q: 1 }, () => ({ diagnosis: 'd' }));
  tracer.withSpan(notes, { q: 1 }, () => ({ text: 't' }));
  tracer.withSpan(lookup, { customer: { phone: '2' } }, () => undefined);
  const spans = sink.spans();
  t.same(spans[0]!.payload, { customer: { phone: '[REDACTED]', name: 'n' }, token: '[REDACTED]' }, 'its keys on top of the tracer\'s');
  t.same(spans[1]!.payload, { redacted: 'not_captured' }, 'secrets in the params: no payload');
  t.same(spans[1]!.resultPayload, { ok: true }, 'the result is captured');
  t.same(spans[2]!.resultPayload, { diagnosis: 'd' }, 'redact: [] opts back in');
  t.same(spans[3]!.resultPayload, { redacted: 'not_captured' });
  t.same(spans[4]!.payload, { customer: { phone: '[REDACTED]' } }, 'the compiled rules are reused');
});

t.test('a value the keys cannot judge is checked on its text, and sent as it is when nothing matches', async (t) => {
  const { tracer, sink } = memoryTracer(t);
  tracer.withSpan('s', new Map([['note', 'he said "password": no']]), () => undefined);
  t.same(sink.spans()[0]!.payload, { value: { note: 'he said "password": no' } });
});

t.test('a hook that throws something other than an Error is reported too', async (t) => {
  const { tracer, sink, logger } = memoryTracer(t, { redactPayload: () => { throw 'not an error'; } });
  tracer.withSpan('s', { a: 1 }, () => undefined);
  t.same(sink.spans()[0]!.payload, { redacted: 'redaction_failed' });
  t.match(logger.messages('error'), [/: not an error\./]);
});

t.test('redaction options are checked', async (t) => {
  t.throws(() => new Tracer({ enabled: false, redact: 'password' as never }), { message: /`redact` to be an array of keys/ });
  t.throws(() => new Tracer({ enabled: false, redact: ['a..b'] }), { code: 'ERR_PREFACTOR_CONFIG' });
  t.throws(() => new Tracer({ enabled: false, redact: ['_'] }), { code: 'ERR_PREFACTOR_CONFIG' }, 'an entry that would match every key');
  t.throws(() => new Tracer({ enabled: false, redactPayload: {} as never }), { message: /`redactPayload` to be a function/ });
  t.throws(() => defineSpanType({ name: 'x', redact: [1] as never }), { message: /`redact`/ });
});

t.test('keys are masked whichever way the payload was written: plain scan, walker, or a path ending in *', async (t) => {
  const { tracer, sink } = memoryTracer(t, { redact: [...DEFAULT_REDACT_KEYS, 'headers.*'], maxPayloadBytes: 1024 });
  class Login {
    user = 'u';
    password = 'p';
  }
  tracer.withSpan('walker', new Login(), () => ({ big: 1n, token: 't' }));
  tracer.withSpan('star', { headers: { accept: 'json' }, n: 1 }, () => 7);
  tracer.withSpan('cut', { apiKey: 'k', text: 'x'.repeat(2000) }, () => undefined);
  const [walker, star, cut] = sink.spans();
  t.same(walker!.payload, { value: { user: 'u', password: '[REDACTED]' } }, 'a class instance, through the walker');
  t.same(walker!.resultPayload, { big: '1', token: '[REDACTED]' });
  t.same(star!.payload, { headers: { accept: '[REDACTED]' }, n: 1 });
  t.same(star!.resultPayload, { value: 7 });
  t.match(cut!.payload, { text: /…/, apiKey: '[REDACTED]' }, 'a payload cut to the budget');
});

import { z } from 'zod';
import { Tracer, defineSpanType, type SpanSink } from '../src/index.js';
const step = defineSpanType({ name: 'bench:step', params: z.object({ i: z.number(), text: z.string() }) });
class NoopSink implements SpanSink { registerInstance(){} startInstance(){} finishInstance(){} spanStarted(){} spanEnded(){} async flush(){return true} async shutdown(){return true} }
const work = async () => 1;
const mode = (process.env.MODE ?? 'warn') as 'warn' | 'off';
const tracer = new Tracer({ sink: new NoopSink(), spanTypes: [step], logger: false, validatePayloads: mode });
const N = 20000;
async function base(s: number) { let sum = 0; for (let i = s; i < s + N; i++) { sum += await (async () => { const a = await work(); const b = await work(); return a + b; })(); if (i % 100 === 99) await new Promise(r => setImmediate(r)); } return sum; }
async function traced(s: number) { let sum = 0; for (let i = s; i < s + N; i++) { sum += await tracer.withSpan(step, { i, text: 'x'.repeat(100) }, async () => { const a = await tracer.withSpan(step, { i, text: 'x'.repeat(100) }, work); const b = await tracer.withSpan(step, { i, text: 'x'.repeat(100) }, work); return a + b; }); if (i % 100 === 99) await new Promise(r => setImmediate(r)); } return sum; }
const res: number[] = [];
for (let r = 0; r < 9; r++) { let t = process.hrtime.bigint(); await base(r * N); const b = Number(process.hrtime.bigint() - t); t = process.hrtime.bigint(); await traced(r * N); const x = Number(process.hrtime.bigint() - t); if (r >= 2) res.push((x - b) / (3 * N)); }
res.sort((a, b) => a - b); console.log(mode, 'overhead ns/span median', res[Math.floor(res.length / 2)]?.toFixed(0), res.map(x=>x.toFixed(0)).join(' '));

import { serializePayload } from '../src/serialize.js';
const N = 1_000_000;
for (let r = 0; r < 3; r++) {
  let t = process.hrtime.bigint(); let l = 0;
  for (let i = 0; i < N; i++) l += JSON.stringify({ i, text: 'x'.repeat(100) }).length;
  const a = Number(process.hrtime.bigint() - t) / N;
  t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) l += serializePayload({ i, text: 'x'.repeat(100) }).length;
  const b = Number(process.hrtime.bigint() - t) / N;
  t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) l += ('x'.repeat(100)).length + i;
  const c = Number(process.hrtime.bigint() - t) / N;
  console.log('stringify', a.toFixed(0), 'serializePayload', b.toFixed(0), 'alloc only', c.toFixed(0));
}

import { readFileSync } from 'node:fs';
import t from 'tap';

// Every TypeScript sample in the README is a copy of a file under examples/, which `tsc --noEmit`
// (the first half of `npm test`) compiles: a sample that drifts from its file fails here, and a
// file that stops compiling fails there.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const samples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);

t.test('README has TypeScript samples', async (t) => {
  t.ok(samples.length >= 2, `found ${samples.length} samples`);
});

for (const sample of samples) {
  const marker = /^\/\/ (examples\/[\w./-]+\.ts)\n/.exec(sample);
  const name = marker?.[1] ?? sample.split('\n')[0]!;
  t.test(`README sample ${name} is the file it names`, async (t) => {
    t.ok(marker, 'the sample starts with a `// examples/<file>.ts` line naming the file it copies');
    if (!marker) return;
    const file = readFileSync(new URL(`../${marker[1]}`, import.meta.url), 'utf8');
    t.equal(sample.slice(marker[0].length).trim(), file.trim());
  });
}

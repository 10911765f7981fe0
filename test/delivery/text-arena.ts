import t from 'tap';
import { CHUNK_BYTES, TextArena } from '../../src/delivery/text-arena.js';

/** Writes `text` as one region; returns where it went. */
function region(arena: TextArena, text: string): { chunk: number; start: number; bytes: number } {
  arena.begin(text.length * 3);
  const { chunk, start } = arena;
  const bytes = arena.put(text, start);
  arena.end(bytes);
  return { chunk, start, bytes };
}

t.test('TextArena writes regions one after another as UTF-8, and reads them back', async (t) => {
  const arena = new TextArena();
  const a = region(arena, 'span-1');
  const b = region(arena, 'café ✓');
  t.equal(a.chunk, b.chunk);
  t.equal(b.start, a.bytes, 'packed');
  t.equal(b.bytes, Buffer.byteLength('café ✓'));
  t.equal(arena.text(b.chunk, b.start, b.bytes), 'café ✓');
  t.equal(arena.buffer(a.chunk).toString('latin1', a.start, a.start + a.bytes), 'span-1');
});

t.test('TextArena moves to a new chunk when one is full, and releases a chunk once its regions are freed', async (t) => {
  const arena = new TextArena();
  // 4,096 bytes each, but a region needs room for 3 bytes per character: 14 fit in a chunk.
  const text = 'x'.repeat(CHUNK_BYTES / 16);
  const regions = Array.from({ length: 20 }, () => region(arena, text));
  t.equal(regions[13]!.chunk, regions[0]!.chunk);
  t.not(regions[14]!.chunk, regions[0]!.chunk);
  t.equal(arena.chunks, 2);
  const first = arena.buffer(regions[0]!.chunk);
  for (const r of regions.slice(0, 14)) arena.free(r.chunk, r.bytes);
  t.equal(arena.chunks, 1, 'the first chunk, not written into any more, is released');
  for (const r of regions.slice(14)) arena.free(r.chunk, r.bytes);
  t.equal(arena.chunks, 1, 'the chunk written into stays, even empty');
  // Writing on fills it, then moves to a chunk in the first one's Buffer, kept for reuse.
  let last = region(arena, text);
  while (last.chunk === regions[14]!.chunk) last = region(arena, text);
  t.equal(arena.buffer(last.chunk), first, 'a released chunk\'s Buffer is reused');
  t.equal(arena.chunks, 2);
});

t.test('TextArena keeps a few empty chunks for reuse and lets the others go', async (t) => {
  const arena = new TextArena();
  const regions = Array.from({ length: 100 }, () => region(arena, 'y'.repeat(5000)));
  t.ok(arena.chunks >= 8, `${arena.chunks} chunks`);
  for (const r of regions) arena.free(r.chunk, r.bytes);
  t.equal(arena.chunks, 1, 'all but the one written into released');
  arena.clear();
  t.equal(arena.chunks, 0, 'clear() releases every chunk');
  const again = region(arena, 'z');
  t.equal(again.start, 0, 'and writing starts over in a fresh chunk');
});

t.test('TextArena gives a region larger than a quarter chunk a chunk of its own, released with it', async (t) => {
  const arena = new TextArena();
  const small = region(arena, 'a');
  const large = region(arena, 'b'.repeat(CHUNK_BYTES));
  t.not(large.chunk, small.chunk);
  t.equal(large.start, 0);
  t.equal(arena.buffer(large.chunk).length, CHUNK_BYTES * 3);
  const after = region(arena, 'c');
  t.equal(after.chunk, small.chunk, 'small regions go on in the chunk written into');
  arena.free(large.chunk, large.bytes);
  t.equal(arena.chunks, 1);
});

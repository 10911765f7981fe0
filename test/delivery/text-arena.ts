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
  for (const r of regions.slice(0, 14)) arena.free(r.chunk, r.bytes, r.start);
  t.equal(arena.chunks, 1, 'the first chunk, not written into any more, is released');
  for (const r of regions.slice(14)) arena.free(r.chunk, r.bytes, r.start);
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
  for (const r of regions) arena.free(r.chunk, r.bytes, r.start);
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
  arena.free(large.chunk, large.bytes, large.start);
  t.equal(arena.chunks, 1);
});

t.test('TextArena counts as dead the released texts of a chunk that a text held longer keeps', async (t) => {
  const arena = new TextArena();
  t.equal(arena.deadBytes, 0, 'nothing written');
  const held = region(arena, 'h'.repeat(100));
  const others = Array.from({ length: 100 }, () => region(arena, 'x'.repeat(1000)));
  t.ok(others.some((r) => r.chunk !== held.chunk), 'the others reach the next chunks');
  for (const r of others) arena.free(r.chunk, r.bytes, r.start);
  t.equal(arena.deadBytes, CHUNK_BYTES - 100, 'the first chunk is kept for the 100 bytes held: the rest of it is dead');
  t.equal(arena.chunks, 2, 'the first chunk, and the one written into');
  arena.free(held.chunk, held.bytes, held.start);
  t.equal(arena.deadBytes, 0, 'released with its last text');
  t.equal(arena.chunks, 1);
});

t.test('TextArena takes back the last region written at once, and a chunk written into once it holds nothing', async (t) => {
  const arena = new TextArena();
  const first = region(arena, 'a'.repeat(10));
  const second = region(arena, 'b'.repeat(20));
  arena.free(second.chunk, second.bytes, second.start);
  t.equal(arena.deadBytes, 0, 'the last region: its room is not dead');
  t.equal(region(arena, 'c').start, second.start, 'and is written over next');
  arena.free(first.chunk, first.bytes, first.start);
  t.equal(arena.deadBytes, 10, 'a region before a live one is dead until the chunk empties');
  const third = region(arena, 'd'.repeat(5));
  t.equal(third.start, first.bytes + 1);
});

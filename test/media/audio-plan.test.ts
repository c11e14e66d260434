/** Chunk planning and transcript stitching: pure functions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkLimitSec, planChunks, stitchTranscripts } from '../../engine/media/audio.ts';

test('cuts in the silence nearest each limit, inside the window', () => {
  const silences = [
    { start: 5, end: 6 },
    { start: 16, end: 17 }, // in the window before 20: used (middle 16.5)
    { start: 30, end: 30.4 },
    { start: 35.9, end: 37 }, // overlaps the limit 36.5: cut at its middle 36.45
  ];
  const plan = planChunks({ durationSec: 50, silences, maxChunkSec: 20, windowSec: 5 });
  assert.deepEqual(plan, [
    { start: 0, end: 16.5, cut: 'silence' },
    { start: 16.5, end: 36.45, cut: 'silence' },
    { start: 36.45, end: 50, cut: 'end' },
  ]);
});

test('no silence within the window: a hard cut at the limit', () => {
  const plan = planChunks({ durationSec: 45, silences: [{ start: 2, end: 3 }], maxChunkSec: 20, windowSec: 4 });
  assert.deepEqual(plan, [
    { start: 0, end: 20, cut: 'hard' },
    { start: 20, end: 40, cut: 'hard' },
    { start: 40, end: 45, cut: 'end' },
  ]);
});

test('the byte limit becomes a duration limit for the export format', () => {
  // 1 MB at 8000 B/s (64 kbps mp3) minus 64 KiB of headroom: 122.88 s.
  assert.equal(chunkLimitSec({ maxChunkSec: 600, maxBytes: 1_048_576, bytesPerSecond: 8000 }), (1_048_576 - 65_536) / 8000);
  assert.equal(chunkLimitSec({ maxChunkSec: 60, maxBytes: 25 * 1024 * 1024, bytesPerSecond: 8000 }), 60);
  assert.throws(() => chunkLimitSec({ maxChunkSec: 60, maxBytes: 60_000, bytesPerSecond: 8000 }), RangeError);
  const plan = planChunks({ durationSec: 300, silences: [], maxChunkSec: 600, maxBytes: 1_048_576, bytesPerSecond: 8000 });
  assert.equal(plan.length, 3);
  assert.ok(plan.every((c) => c.end - c.start <= 122.88));
});

test('short audio is one chunk; chunks are contiguous and cover everything', () => {
  assert.deepEqual(planChunks({ durationSec: 12.5, silences: [], maxChunkSec: 20 }), [{ start: 0, end: 12.5, cut: 'end' }]);
  const silences = Array.from({ length: 200 }, (_, i) => ({ start: i * 3.7 + 3, end: i * 3.7 + 3.4 }));
  const plan = planChunks({ durationSec: 700, silences, maxChunkSec: 30 });
  assert.equal(plan[0]!.start, 0);
  assert.equal(plan.at(-1)!.end, 700);
  for (let i = 1; i < plan.length; i++) assert.equal(plan[i]!.start, plan[i - 1]!.end);
  assert.ok(plan.every((c) => c.end - c.start <= 30));
  assert.ok(plan.slice(0, -1).every((c) => c.cut === 'silence'));
});

test('stitching shifts segment times by chunk offsets and joins text in order', () => {
  const stitched = stitchTranscripts([
    { offset: 19.7, text: ' second part. ', segments: [{ start: 0.1, end: 2.2, text: 'second part.' }] },
    { offset: 0, text: 'First part.', segments: [{ start: 0, end: 19.5, text: 'First part.' }] },
    { offset: 40.3, text: '', segments: [] },
    { offset: 39.1, text: 'Third.' },
  ]);
  assert.equal(stitched.text, 'First part. second part. Third.');
  assert.deepEqual(stitched.segments, [
    { start: 0, end: 19.5, text: 'First part.' },
    { start: 19.8, end: 21.9, text: 'second part.' },
  ]);
});

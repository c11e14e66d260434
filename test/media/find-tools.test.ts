/**
 * Which ffmpeg and ffprobe Tessera runs (engine/media/find-tools.ts): FFMPEG_PATH / FFPROBE_PATH, else the
 * system's on PATH, else the binaries shipped in the npm packages. With the system's hidden (a PATH that
 * holds none), the bundled binaries are found and really probe and transcode a committed recording.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { probeAudio, splitAudio } from '../../engine/media/audio.ts';
import { ensureExecutable, findExecutable, findMediaTools, findTool, mediaToolsLines, toolVersion } from '../../engine/media/find-tools.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/speech/tablets.ogg', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-find-tools-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A new empty folder: as PATH, it hides every system binary. */
function folder(name: string): string {
  const made = path.join(dir, name);
  mkdirSync(made, { recursive: true });
  return made;
}

const noSystem = { PATH: folder('empty-path') };
const cacheDir = path.join(dir, 'cache');

test('with no ffmpeg on PATH, the bundled binaries are used and probe and transcode a recording', async () => {
  const found = findMediaTools({ env: noSystem, cacheDir });
  assert.equal(found.ffmpeg.found?.source, 'bundled', found.ffmpeg.problem);
  assert.equal(found.ffprobe.found?.source, 'bundled', found.ffprobe.problem);
  assert.match(found.ffmpeg.found.path, /node_modules[/\\]@ffmpeg-installer[/\\][^/\\]+[/\\]ffmpeg(\.exe)?$/);
  // ffprobe may be a copy in the cache folder when the install is read-only; here (root, writable) it is not.
  assert.match(found.ffprobe.found.path, /node_modules[/\\]@ffprobe-installer[/\\][^/\\]+[/\\]ffprobe(\.exe)?$/);
  assert.ok(findExecutable(found.ffprobe.found.path, undefined), 'the bundled ffprobe is executable (npm does not keep its mode)');

  const tools = { ffmpeg: found.ffmpeg.found.path, ffprobe: found.ffprobe.found.path };
  // Probed (ffprobe), then transcoded to a 16 kHz mono MP3 chunk (ffmpeg), which is probed in turn.
  const split = await splitAudio(FIXTURE, { tools, format: 'mp3' });
  try {
    assert.equal(split.info.codec, 'opus');
    assert.ok(split.info.durationSec > 1 && split.info.durationSec < 10, `${split.info.durationSec} s`);
    assert.equal(split.chunks.length, 1);
    const chunk = await probeAudio(split.chunks[0]!.path, { tools });
    assert.equal(chunk.codec, 'mp3');
    assert.equal(chunk.sampleRate, 16000);
    assert.equal(chunk.channels, 1);
    assert.ok(Math.abs(chunk.durationSec - split.info.durationSec) < 0.2, `${chunk.durationSec} s of ${split.info.durationSec} s`);
  } finally {
    await split.dispose();
  }

  const lines = await mediaToolsLines(found);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, /^media tools: ffmpeg \S+ \(bundled\) at \S+ffmpeg; ffprobe \S+ \(bundled\) at \S+ffprobe$/);
});

test('a system ffmpeg on PATH wins over the bundled one', async () => {
  const bundled = findMediaTools({ env: noSystem, cacheDir });
  const system = folder('system-bin');
  symlinkSync(bundled.ffmpeg.found!.path, path.join(system, 'ffmpeg'));
  symlinkSync(bundled.ffprobe.found!.path, path.join(system, 'ffprobe'));
  const found = findMediaTools({ env: { PATH: `${folder('other-bin')}${path.delimiter}${system}` }, cacheDir });
  assert.deepEqual(found.ffmpeg.found, { name: 'ffmpeg', path: path.join(system, 'ffmpeg'), source: 'system' });
  assert.deepEqual(found.ffprobe.found, { name: 'ffprobe', path: path.join(system, 'ffprobe'), source: 'system' });
  const lines = await mediaToolsLines(found);
  assert.match(lines[0]!, new RegExp(`^media tools: ffmpeg \\S+ \\(system\\) at ${path.join(system, 'ffmpeg')}; ffprobe \\S+ \\(system\\) at `));

  // Where the machine has its own (CI installs Debian's), that is the one chosen.
  const real = findExecutable('ffmpeg', process.env.PATH);
  if (real) assert.deepEqual(findTool('ffmpeg', { cacheDir }).found, { name: 'ffmpeg', path: real, source: 'system' });
});

test('FFMPEG_PATH and FFPROBE_PATH win over PATH, and a wrong one is reported, not replaced', async () => {
  const bundled = findMediaTools({ env: noSystem, cacheDir });
  const system = folder('system-bin-2');
  symlinkSync(bundled.ffmpeg.found!.path, path.join(system, 'ffmpeg'));
  const chosen = bundled.ffmpeg.found!.path;
  const found = findTool('ffmpeg', { env: { PATH: system, FFMPEG_PATH: chosen }, cacheDir });
  assert.deepEqual(found.found, { name: 'ffmpeg', path: chosen, source: 'env' });

  const wrong = path.join(dir, 'no-ffprobe-here');
  const missing = findMediaTools({ env: { PATH: system, FFPROBE_PATH: wrong }, cacheDir });
  assert.equal(missing.ffprobe.found, undefined, 'no fallback to the bundled ffprobe');
  assert.equal(missing.ffprobe.problem, `FFPROBE_PATH=${wrong} is not an executable file`);
  const lines = await mediaToolsLines(missing);
  assert.match(lines[0]!, /^media tools: ffmpeg \S+ \(system\) at \S+$/);
  assert.equal(lines[1], `WARNING: no usable ffprobe (FFPROBE_PATH=${wrong} is not an executable file), so transcribe will fail: fix or unset FFPROBE_PATH`);
});

test('no binary anywhere: the start-up lines warn that transcribe will fail', async () => {
  const none = findMediaTools({ env: noSystem, cacheDir, bundled: () => { throw new Error('Unsupported platform/architecture: plan9-mips'); } });
  assert.equal(none.ffmpeg.found, undefined);
  assert.match(none.ffmpeg.problem!, /^not on PATH, and no bundled ffmpeg for .*Unsupported platform\/architecture: plan9-mips/);
  const lines = await mediaToolsLines(none);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^WARNING: no usable ffmpeg \(not on PATH, .*\), so transcribe will fail: install FFmpeg \(apt-get install ffmpeg\), run npm install again/);
  assert.match(lines[1]!, /^WARNING: no usable ffprobe /);
});

/** A stand-in binary that prints a version, written without execute permission (as npm leaves ffprobe). */
function fakeBinary(name: string): string {
  const file = path.join(folder(`pkg-${name}`), name);
  writeFileSync(file, '#!/bin/sh\necho "fake version 9.9.9-test"\n');
  chmodSync(file, 0o644);
  return file;
}

test('a bundled binary without execute permission is made executable in place, or copied when it cannot be', { skip: process.platform === 'win32' }, async () => {
  const inPlace = fakeBinary('tool-a');
  const found = findTool('ffprobe', { env: noSystem, cacheDir, bundled: () => inPlace });
  assert.deepEqual(found.found, { name: 'ffprobe', path: inPlace, source: 'bundled' });
  assert.equal(statSync(inPlace).mode & 0o777, 0o755);
  assert.equal(await toolVersion(inPlace), '9.9.9-test');

  const readOnly = fakeBinary('tool-b');
  const copied = ensureExecutable(readOnly, { cacheDir, inPlace: false });
  assert.ok(copied.path?.startsWith(cacheDir + path.sep), copied.path ?? copied.problem);
  assert.equal(statSync(readOnly).mode & 0o777, 0o644, 'the original is left alone');
  assert.equal(await toolVersion(copied.path!), '9.9.9-test');
  assert.deepEqual(ensureExecutable(readOnly, { cacheDir, inPlace: false }), copied, 'the copy is reused');

  // A cache folder that cannot be made (a file stands in its way): a clear message, no path.
  const blocked = path.join(dir, 'not-a-folder');
  writeFileSync(blocked, '');
  const stuck = ensureExecutable(fakeBinary('tool-c'), { cacheDir: blocked, inPlace: false });
  assert.equal(stuck.path, undefined);
  assert.match(stuck.problem!, /^the bundled binary \S+tool-c is not executable and could not be made so \(copy to \S+: .+\): run chmod \+x on it$/);
});

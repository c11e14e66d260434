/**
 * What `tessera dev` says when it is up: the worker's providers, which ffmpeg and ffprobe it runs (the
 * bundled ones when PATH has none) and a warning when one is missing (transcribe would fail), addresses
 * a browser can open (not 0.0.0.0), and a first command to try.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../engine/temporal/dev-server.ts';
import { spawnTessera } from '../support/cli.ts';

test('tessera dev lists its providers and media tools, warns about a missing ffmpeg, prints openable URLs and a first command', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-dev-startup-'));
  const [temporalPort, apiPort] = [await freePort(), await freePort()];
  // A PATH without the system's ffmpeg and ffprobe (nothing there), and an FFMPEG_PATH that points nowhere.
  const emptyPath = path.join(dir, 'empty-path');
  mkdirSync(emptyPath);
  const dev = await spawnTessera(['dev', '--no-ui', '--host', '0.0.0.0', '--port', String(apiPort)], {
    TESSERA_TEMPORAL_PORT: String(temporalPort),
    TESSERA_DATA_DIR: dir,
    OPENAI_API_KEY: 'sk-startup-test',
    ANTHROPIC_API_KEY: '',
    FFMPEG_PATH: path.join(dir, 'no-ffmpeg-here'),
    FFPROBE_PATH: '',
    PATH: emptyPath,
  });
  try {
    const out = dev.stderr();
    assert.match(out, /^worker on task queue "tessera"; providers: local, openai \(keys come from this process's environment\)$/m);
    assert.match(out, /^media tools: ffprobe \S+ \(bundled\) at \S+[/\\]node_modules[/\\]@ffprobe-installer[/\\]\S+[/\\]ffprobe$/m);
    const ffmpeg = path.join(dir, 'no-ffmpeg-here');
    assert.ok(out.includes(`\nWARNING: no usable ffmpeg (FFMPEG_PATH=${ffmpeg} is not an executable file), so transcribe will fail: fix or unset FFMPEG_PATH\n`), out);
    assert.match(out, new RegExp(`^Editor: http://127\\.0\\.0\\.1:${apiPort}/ \\(listening on 0\\.0\\.0\\.0: every interface\\)$`, 'm'));
    assert.match(out, new RegExp(`^API: http://127\\.0\\.0\\.1:${apiPort}/api/v1 `, 'm'));
    assert.doesNotMatch(out, /\/\/0\.0\.0\.0/, "no URL points at the wildcard address");
    assert.match(out, /^try: npx tessera run examples\/greeting\.pipeline\.json -i who=Ada$/m);
  } finally {
    await dev.stop();
  }
});

// Makes the speech fixtures the tests use (test/fixtures/speech/*.ogg), so that running the tests needs
// no speech synthesiser: espeak-ng speaks each text, ffmpeg stores it as 24 kb/s Opus (small enough to
// commit; silences between sentences survive, which the chunking tests rely on). Run it again only to
// change a fixture: `node --import tsx scripts/make-speech-fixtures.ts` (needs espeak-ng and ffmpeg).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SPEECH_FIXTURES } from '../test/support/speech.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-speech-'));
try {
  for (const [name, { text, wordsPerMinute }] of Object.entries(SPEECH_FIXTURES)) {
    const txt = path.join(dir, `${name}.txt`);
    const wav = path.join(dir, `${name}.wav`);
    writeFileSync(txt, text);
    execFileSync('espeak-ng', ['-s', String(wordsPerMinute), '-w', wav, '-f', txt]);
    const target = new URL(`../test/fixtures/speech/${name}.ogg`, import.meta.url).pathname;
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', wav, '-c:a', 'libopus', '-b:a', '24k', '-ac', '1', target]);
    console.log(`wrote ${target}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

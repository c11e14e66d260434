/**
 * Spoken fixtures, committed as Opus files under test/fixtures/speech/ (made by
 * scripts/make-speech-fixtures.ts with espeak-ng), so the tests need ffmpeg (the one Tessera itself
 * runs: the system's, else the bundled one) but no speech synthesiser.
 * `speechWav` decodes one to a 16-bit mono WAV at espeak-ng's 22,050 Hz, as the tests used to receive.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultTools } from '../../engine/media/tools.ts';
import { CLINIC_PARAGRAPHS } from './fixtures.ts';

export const SPEECH_FIXTURES = {
  /** About 70 s of clinic notes with pauses between sentences (silences to cut at). */
  'clinic-150': { text: CLINIC_PARAGRAPHS.join('\n\n'), wordsPerMinute: 150 },
  'clinic-140': { text: CLINIC_PARAGRAPHS.join('\n\n'), wordsPerMinute: 140 },
  'tablets': { text: 'Take two tablets twice daily with food.', wordsPerMinute: 150 },
  'voice-note': { text: 'Patient reports headaches. Start metformin five hundred milligrams twice daily. Review in two weeks.', wordsPerMinute: 175 },
} as const;

export type SpeechFixture = keyof typeof SPEECH_FIXTURES;

const FOLDER = fileURLToPath(new URL('../fixtures/speech/', import.meta.url));

/** Writes the fixture as a WAV file at `target` and returns that path. */
export function speechWav(name: SpeechFixture, target: string): string {
  execFileSync(defaultTools().ffmpeg, ['-v', 'error', '-y', '-i', path.join(FOLDER, `${name}.ogg`), '-ar', '22050', '-ac', '1', '-c:a', 'pcm_s16le', target]);
  return target;
}

/** The length of an audio blob, for estimates made before a run (ffprobe, as `transcribe` measures it). */
import type { BlobRef } from '../blob/ref.ts';
import type { BlobStore } from '../blob/store.ts';
import { probeAudio } from '../media/audio.ts';
import { blobTempFile } from '../media/temp.ts';

/** Seconds of audio, or undefined when the blob is missing or cannot be probed (the estimate then assumes). */
export function blobAudioSeconds(blobs: BlobStore): (ref: BlobRef) => Promise<number | undefined> {
  return async (ref) => {
    if (!(await blobs.has(ref).catch(() => false))) return undefined;
    const file = await blobTempFile(blobs, ref);
    try {
      return (await probeAudio(file.path)).durationSec;
    } catch {
      return undefined;
    } finally {
      await file.dispose();
    }
  };
}

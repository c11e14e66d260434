/** Output values that are blobs are written to files; everything else is printed. */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isBlobRef, type BlobRef } from '../blob/ref.ts';
import type { BlobStore } from '../blob/store.ts';

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp',
  'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/mpeg': 'mp3', 'audio/ogg': 'ogg', 'audio/flac': 'flac',
  'audio/x-flac': 'flac', 'audio/mp4': 'm4a', 'video/webm': 'webm', 'application/pdf': 'pdf',
  'text/plain': 'txt', 'application/json': 'json',
};

export type WrittenBlob = BlobRef & { path: string };

/** Replaces every blob reference in the outputs (also inside lists) by the reference plus the file it was written to. */
export async function writeBlobOutputs(outputs: Record<string, unknown>, blobs: BlobStore, outDir: string): Promise<Record<string, unknown>> {
  const written: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(outputs)) {
    if (isBlobRef(value)) written[name] = await writeBlob(value, blobs, outDir, name);
    else if (Array.isArray(value) && value.length > 0 && value.every(isBlobRef)) {
      written[name] = await Promise.all(value.map((ref, i) => writeBlob(ref, blobs, outDir, `${name}-${i + 1}`)));
    } else written[name] = value;
  }
  return written;
}

async function writeBlob(ref: BlobRef, blobs: BlobStore, outDir: string, base: string): Promise<WrittenBlob> {
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, `${base}.${EXTENSIONS[ref.mime] ?? 'bin'}`);
  await pipeline(await blobs.get(ref), createWriteStream(file));
  return { ...ref, path: file };
}

/** Human-readable printing: text as is, files as paths, JSON indented. */
export function formatOutputs(outputs: Record<string, unknown>): string {
  return Object.entries(outputs)
    .map(([name, value]) => {
      if (typeof value === 'string') return value.includes('\n') ? `${name}:\n${value}` : `${name}: ${value}`;
      if (isBlobRef(value)) return `${name}: ${(value as WrittenBlob).path} (${value.mime}, ${value.size} bytes)`;
      return `${name}: ${JSON.stringify(value, null, 2)}`;
    })
    .join('\n');
}

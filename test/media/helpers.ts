/** Small helpers for the media tests: error assertions, generated images, text metrics. */
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { NodeError } from '../../engine/node-sdk/define-node.ts';

/** Asserts that `work` rejects with a non-retryable NodeError of this code; returns it for more checks. */
export async function rejectsWithCode(work: Promise<unknown>, code: string): Promise<NodeError> {
  const err = await work.then(
    () => assert.fail(`expected a ${code} error, but the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof NodeError, `expected a NodeError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.equal(err.options.retryable ?? false, false, 'media errors are not retryable');
  return err;
}

export function solid(width: number, height: number, color: string, alpha = false) {
  return sharp({ create: { width, height, channels: alpha ? 4 : 3, background: color } });
}

/** Random pixels: incompressible, for byte-limit tests. */
export function noise(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: 'black', noise: { type: 'gaussian', mean: 128, sigma: 60 } } });
}

/** The mean RGB of an encoded image, to tell which part of a source a tile came from. */
export async function meanColor(image: Buffer): Promise<[number, number, number]> {
  const { channels } = await sharp(image).stats();
  return [channels[0]!.mean, channels[1]!.mean, channels[2]!.mean].map(Math.round) as [number, number, number];
}

/** Black text lines on white, rendered by librsvg through fontconfig (DejaVu on Debian). */
export async function textImage(lines: string[], fontSize = 40): Promise<Buffer> {
  const lineHeight = Math.round(fontSize * 1.6);
  const width = 1600;
  const height = lineHeight * (lines.length + 1);
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const texts = lines
    .map((line, i) => `<text x="40" y="${lineHeight * (i + 1)}" font-family="DejaVu Sans" font-size="${fontSize}">${escape(line)}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/><g fill="black">${texts}</g></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Character error rate after collapsing whitespace: edits needed / reference length. */
export function characterErrorRate(reference: string, hypothesis: string): number {
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  const ref = norm(reference);
  return levenshtein(ref, norm(hypothesis)) / ref.length;
}

/**
 * sharp (libvips) is loaded on first use, so commands that never touch an image (`tessera validate`,
 * `tessera nodes`, `--help`) do not pay for loading it.
 */
import type SharpModule from 'sharp';

let loaded: Promise<typeof SharpModule> | undefined;

export function loadSharp(): Promise<typeof SharpModule> {
  return (loaded ??= import('sharp').then((m) => m.default));
}

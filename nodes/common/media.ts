/** Reading blobs for providers: images are converted and shrunk to the provider's limits first. */
import type { BlobRef } from '../../engine/blob/ref.ts';
import type { NodeContext } from '../../engine/node-sdk/define-node.ts';
import { prepareImageForProvider } from '../../engine/media/image.ts';
import type { ImageDetail, MediaPart, TakesImages } from '../../engine/providers/types.ts';

export type Detail = ImageDetail;

export async function readBlob(ctx: NodeContext, ref: BlobRef): Promise<MediaPart> {
  return { data: await ctx.blobs.readAll(ref), mime: ref.mime, name: ref.name };
}

/** An image ready for a vision call to the capability that takes it: sniffed, converted if needed, resized to its limits. */
export async function imageForProvider(ctx: NodeContext, ref: BlobRef, target: TakesImages, detail: Detail = 'auto'): Promise<MediaPart> {
  const prepared = await prepareImageForProvider(await ctx.blobs.readAll(ref), target.imageLimits(detail));
  return { data: prepared.data, mime: prepared.mime, name: ref.name };
}

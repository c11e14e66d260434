/** Reading blobs for providers: images are converted and shrunk to the provider's limits first. */
import type { BlobRef } from '../../engine/blob/ref.ts';
import type { NodeContext } from '../../engine/node-sdk/define-node.ts';
import {
  ANTHROPIC_IMAGE_LIMITS,
  OPENAI_HIGH_DETAIL_LIMITS,
  OPENAI_LOW_DETAIL_LIMITS,
  prepareImageForProvider,
} from '../../engine/media/image.ts';
import type { MediaPart } from '../../engine/providers/types.ts';

export type Detail = 'low' | 'high' | 'auto';

export async function readBlob(ctx: NodeContext, ref: BlobRef): Promise<MediaPart> {
  return { data: await ctx.blobs.readAll(ref), mime: ref.mime, name: ref.name };
}

/** An image ready for a vision call to `provider`: sniffed, converted if needed, resized to its limits. */
export async function imageForProvider(ctx: NodeContext, ref: BlobRef, provider: string, detail: Detail = 'auto'): Promise<MediaPart> {
  const limits = provider === 'anthropic' ? ANTHROPIC_IMAGE_LIMITS : detail === 'low' ? OPENAI_LOW_DETAIL_LIMITS : OPENAI_HIGH_DETAIL_LIMITS;
  const prepared = await prepareImageForProvider(await ctx.blobs.readAll(ref), limits);
  return { data: prepared.data, mime: prepared.mime, name: ref.name };
}

import { z } from 'zod';
import type { BlobRef } from '../../engine/blob/ref.ts';
import { defineNode, NodeError, type NodeContext } from '../../engine/node-sdk/define-node.ts';
import { prepareImageForProvider, OPENAI_HIGH_DETAIL_LIMITS } from '../../engine/media/image.ts';
import { renderPdfPages } from '../../engine/media/pdf.ts';
import type { MediaPart } from '../../engine/providers/types.ts';
import { imageForProvider } from '../common/media.ts';
import { modelParam, providerParam, resolveModel } from '../common/params.ts';
import { VERBATIM_OCR_PROMPT } from '../common/prompts.ts';

type Params = { provider: string; model?: string; language: string; dpi: number };

/**
 * Text from images, image lists (e.g. tiles) or every page of a PDF. `local` runs tesseract offline; any
 * vision provider transcribes verbatim with tables and lists kept as Markdown.
 */
export const ocrNode = defineNode({
  type: 'ocr',
  version: 1,
  title: 'OCR',
  category: 'AI',
  description: 'Reads the text of images or PDF pages: offline with tesseract ("local"), or verbatim through a vision model.',
  params: z.object({
    provider: providerParam('local'),
    model: modelParam('gpt-4o').describe('Vision model (ignored by the local provider).'),
    language: z.string().default('eng').describe('Tesseract language code (local provider).'),
    dpi: z.number().int().min(72).max(600).default(200).describe('Resolution PDF pages are rendered at.'),
  }),
  inputs: { images: { kind: 'image[]', required: false }, document: { kind: 'document', required: false } },
  outputs: { text: { kind: 'text' }, pages: { kind: 'text[]' } },
  execution: { startToCloseTimeout: '30m', heartbeatTimeout: '2m', retry: { maximumAttempts: 4, initialInterval: '2s' } },
  check: (_params, graph) => (graph.isConnected('images') || graph.isConnected('document') ? [] : ['connect "images" or "document".']),
  run: async (ctx, inputs, params) => {
    const pages: string[] = [];
    const images = inputs.images ?? [];
    for (const [i, ref] of images.entries()) {
      pages.push(await recognize(ctx, params, await imageForOcr(ctx, ref, params.provider)));
      ctx.progress((i + 1) / (images.length + (inputs.document ? 1 : 0)));
    }
    if (inputs.document) pages.push(...(await documentPages(ctx, params, inputs.document)));
    return { text: pages.join('\n\n'), pages };
  },
});

async function documentPages(ctx: NodeContext, params: Params, ref: BlobRef): Promise<string[]> {
  if (ref.mime.startsWith('image/')) return [await recognize(ctx, params, await imageForOcr(ctx, ref, params.provider))];
  if (ref.mime !== 'application/pdf') throw new NodeError('MEDIA_UNSUPPORTED', `OCR reads images and PDFs, not ${ref.mime}.`);
  const texts: string[] = [];
  for await (const page of renderPdfPages(await ctx.blobs.readAll(ref), { dpi: params.dpi })) {
    const prepared = params.provider === 'local' ? { data: page.png, mime: 'image/png' } : await prepareImageForProvider(page.png, OPENAI_HIGH_DETAIL_LIMITS);
    texts.push(await recognize(ctx, params, { data: prepared.data, mime: prepared.mime, name: `page-${page.index + 1}.png` }));
    ctx.heartbeat();
  }
  return texts;
}

async function imageForOcr(ctx: NodeContext, ref: BlobRef, provider: string): Promise<MediaPart> {
  // Tesseract reads any size; vision models get the image fitted to their limits.
  return provider === 'local' ? { data: await ctx.blobs.readAll(ref), mime: ref.mime, name: ref.name } : imageForProvider(ctx, ref, provider, 'high');
}

async function recognize(ctx: NodeContext, params: Params, image: MediaPart): Promise<string> {
  if (params.provider === 'local') {
    const result = await ctx.providers.require('local', 'ocr').recognize({ image, language: params.language, signal: ctx.signal });
    ctx.recordUsage(result.usage);
    return result.text.trim();
  }
  const result = await ctx.providers.require(params.provider, 'chat').chat({
    model: resolveModel(params.provider, params.model, 'vision'),
    temperature: 0,
    messages: [{ role: 'user', content: [{ type: 'image', image, detail: 'high' }, { type: 'text', text: VERBATIM_OCR_PROMPT }] }],
    signal: ctx.signal,
  });
  ctx.recordUsage(result.usage);
  return result.text.trim();
}

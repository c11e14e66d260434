import { z } from 'zod';
import type { BlobRef } from '../../engine/blob/ref.ts';
import { defineNode, NodeError, type NodeContext } from '../../engine/node-sdk/define-node.ts';
import { prepareImageForProvider } from '../../engine/media/image.ts';
import { renderPdfPages } from '../../engine/media/pdf.ts';
import type { ChatCapability, MediaPart, OcrCapability } from '../../engine/providers/types.ts';
import { imageForProvider } from '../common/media.ts';
import { modelParam, providerParam, resolveModel } from '../common/params.ts';
import { VERBATIM_OCR_PROMPT } from '../common/prompts.ts';

type Params = { provider: string; model?: string; language: string; dpi: number };

/**
 * Text from an image, image lists (e.g. tiles) or every page of a PDF. `local` runs tesseract offline; any
 * vision provider transcribes verbatim with tables and lists kept as Markdown.
 */
export const ocrNode = defineNode({
  type: 'ocr',
  version: 1,
  title: 'OCR',
  category: 'AI',
  description:
    'Reads the text of an image, a list of images or every page of a PDF: offline with tesseract ("local"), or verbatim through a vision model. ' +
    'One text per image and page, in that order: image, images, document.',
  params: z.object({
    provider: providerParam('local'),
    model: modelParam('gpt-4o').describe('Vision model (ignored by the local provider).'),
    language: z.string().default('eng').describe('Tesseract language code (local provider).'),
    dpi: z.number().int().min(72).max(600).default(200).describe('Resolution PDF pages are rendered at.'),
  }),
  inputs: {
    // `image` came after version 1 shipped: optional, so pipelines that do not connect it are unchanged.
    image: { kind: 'image', required: false, description: 'One image (e.g. a page from pdf-pages under a map node).' },
    images: { kind: 'image[]', required: false, description: 'Images, e.g. tiles: one text each.' },
    document: { kind: 'document', required: false, description: 'A PDF (one text per page) or an image.' },
  },
  outputs: { text: { kind: 'text' }, pages: { kind: 'text[]' } },
  execution: { startToCloseTimeout: '30m', heartbeatTimeout: '2m', retry: { maximumAttempts: 4, initialInterval: '2s' } },
  access: { providers: true },
  // One call per image and per page; `local` is tesseract (no vendor bills it), any other provider a vision model.
  estimate: (params, inputs) => {
    const pages = (inputs.image?.items ?? 0) + (inputs.images?.items ?? 0) + (inputs.document?.items ? Math.max(1, inputs.document.pages) : 0);
    const calls = { min: pages, max: pages };
    return {
      calls: [params.provider === 'local'
        ? { operation: 'ocr', provider: params.provider, model: 'tesseract', calls, inputChars: 0, images: 1 }
        : { operation: 'chat', job: 'vision', provider: params.provider, model: params.model, calls, inputChars: VERBATIM_OCR_PROMPT.length, images: 1 }],
      outputs: { pages: { items: pages } },
    };
  },
  check: (_params, graph) =>
    ['image', 'images', 'document'].some((port) => graph.isConnected(port)) ? [] : ['connect "image", "images" or "document".'],
  run: async (ctx, inputs, params) => {
    const reader = readerFor(ctx, params.provider);
    const pages: string[] = [];
    const images = [...(inputs.image ? [inputs.image] : []), ...(inputs.images ?? [])];
    for (const [i, ref] of images.entries()) {
      pages.push(await recognize(ctx, params, reader, await imageFor(ctx, reader, ref)));
      ctx.progress((i + 1) / (images.length + (inputs.document ? 1 : 0)));
    }
    if (inputs.document) pages.push(...(await documentPages(ctx, params, reader, inputs.document)));
    return { text: pages.join('\n\n'), pages };
  },
});

/** A provider's own OCR engine when it has one (local tesseract), else its vision chat model. */
type Reader = { ocr: OcrCapability } | { chat: ChatCapability };

function readerFor(ctx: NodeContext, provider: string): Reader {
  return ctx.providers.offers(provider, 'ocr') ? { ocr: ctx.providers.require(provider, 'ocr') } : { chat: ctx.providers.require(provider, 'chat') };
}

async function documentPages(ctx: NodeContext, params: Params, reader: Reader, ref: BlobRef): Promise<string[]> {
  if (ref.mime.startsWith('image/')) return [await recognize(ctx, params, reader, await imageFor(ctx, reader, ref))];
  if (ref.mime !== 'application/pdf') throw new NodeError('MEDIA_UNSUPPORTED', `OCR reads images and PDFs, not ${ref.mime}.`);
  const texts: string[] = [];
  for await (const page of renderPdfPages(await ctx.blobs.readAll(ref), { dpi: params.dpi })) {
    const prepared = 'ocr' in reader ? { data: page.png, mime: 'image/png' } : await prepareImageForProvider(page.png, reader.chat.imageLimits('high'));
    texts.push(await recognize(ctx, params, reader, { data: prepared.data, mime: prepared.mime, name: `page-${page.index + 1}.png` }));
    ctx.heartbeat();
  }
  return texts;
}

async function imageFor(ctx: NodeContext, reader: Reader, ref: BlobRef): Promise<MediaPart> {
  // An OCR engine reads any size; vision models get the image fitted to their limits.
  return 'ocr' in reader ? { data: await ctx.blobs.readAll(ref), mime: ref.mime, name: ref.name } : imageForProvider(ctx, ref, reader.chat, 'high');
}

async function recognize(ctx: NodeContext, params: Params, reader: Reader, image: MediaPart): Promise<string> {
  if ('ocr' in reader) {
    const result = await reader.ocr.recognize({ image, language: params.language, signal: ctx.signal });
    ctx.recordUsage(result.usage);
    return result.text.trim();
  }
  const result = await reader.chat.chat({
    model: resolveModel(params.provider, params.model, reader.chat.defaultVisionModel, 'vision'),
    temperature: 0,
    messages: [{ role: 'user', content: [{ type: 'image', image, detail: 'high' }, { type: 'text', text: VERBATIM_OCR_PROMPT }] }],
    signal: ctx.signal,
  });
  ctx.recordUsage(result.usage);
  return result.text.trim();
}

import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';
import { imageForProvider } from '../common/media.ts';
import { detailParam, maxTokensParam, modelParam, providerParam, resolveModel } from '../common/params.ts';
import { RAG_CAPTION_PROMPT } from '../common/prompts.ts';

/**
 * The seed's multimodal RAG document: every image is captioned by a vision model and the captions are
 * appended to the text as figure descriptions, so text search also finds what the images show.
 */
export const documentNode = defineNode({
  type: 'document',
  version: 1,
  title: 'Multimodal document',
  category: 'Search',
  description: 'Captions each image and merges the captions into the text: { id, text, images, captions, combined }.',
  params: z.object({
    provider: providerParam('anthropic'),
    model: modelParam('claude-sonnet-4-6'),
    id: z.string().optional().describe('Document id; defaults to the hash of the first image or "document".'),
    captionPrompt: z.string().default(RAG_CAPTION_PROMPT),
    maxTokens: maxTokensParam.default(1024),
    detail: detailParam,
  }),
  inputs: { text: { kind: 'text', required: false }, images: { kind: 'image[]' } },
  outputs: { document: { kind: 'json' }, combined: { kind: 'text' } },
  execution: { startToCloseTimeout: '10m', heartbeatTimeout: '1m', retry: { maximumAttempts: 5, initialInterval: '2s' } },
  access: { providers: true },
  // One caption per image.
  estimate: (params, inputs) => {
    const images = inputs.images?.items ?? 0;
    return {
      calls: [{
        operation: 'chat', job: 'vision', provider: params.provider, model: params.model, calls: { min: images, max: images },
        inputChars: params.captionPrompt.length, images: 1, maxOutputTokens: params.maxTokens,
      }],
    };
  },
  run: async (ctx, inputs, params) => {
    const chat = ctx.providers.require(params.provider, 'chat');
    const captions: string[] = [];
    for (const [i, ref] of inputs.images.entries()) {
      const image = await imageForProvider(ctx, ref, chat, params.detail);
      const result = await chat.chat({
        model: resolveModel(params.provider, params.model, chat.defaultVisionModel, 'vision'),
        maxTokens: params.maxTokens,
        messages: [{ role: 'user', content: [{ type: 'image', image, detail: params.detail }, { type: 'text', text: params.captionPrompt }] }],
        signal: ctx.signal,
      });
      ctx.recordUsage(result.usage);
      captions.push(result.text.trim());
      ctx.progress((i + 1) / inputs.images.length, `captioned ${i + 1} of ${inputs.images.length}`);
    }
    const text = inputs.text ?? '';
    const combined = captions.reduce((all, caption, i) => `${all}\n\n[Figure ${i + 1} description]: ${caption}`, text).trim();
    const id = params.id ?? inputs.images[0]?.sha256.slice(0, 16) ?? 'document';
    const document = { id, text, images: inputs.images, captions, combined };
    return { document, combined };
  },
});

import { z } from 'zod';
import { defineNode, NodeError } from '../../engine/node-sdk/define-node.ts';
import type { Embedding } from '../../engine/ports.ts';
import type { EmbedInput } from '../../engine/providers/types.ts';
import { readBlob } from '../common/media.ts';
import { modelParam, providerParam, resolveModel } from '../common/params.ts';

/** Models known to embed text only: wiring images into them is refused when the pipeline is validated. */
const TEXT_ONLY_MODELS = /^(text-embedding-|nomic-embed-text|mxbai-embed|all-minilm|bge-|e5-)/;

/** Text and image embeddings, batched within the provider's per-request limit. Texts come first, then images. */
export const embedNode = defineNode({
  type: 'embed',
  version: 1,
  title: 'Embed',
  category: 'Embeddings',
  description: 'Embeds texts and images (CLIP-style models put both in one space). Outputs one embedding per input, texts first.',
  params: z.object({
    provider: providerParam('openai'),
    model: modelParam('text-embedding-3-small'),
    batchSize: z.number().int().min(1).max(2048).optional().describe('Inputs per request (default: the provider\'s limit).'),
  }),
  inputs: { texts: { kind: 'text[]', required: false }, images: { kind: 'image[]', required: false } },
  outputs: { embeddings: { kind: 'embedding[]' }, embedding: { kind: 'embedding' } },
  execution: { startToCloseTimeout: '15m', heartbeatTimeout: '1m', retry: { maximumAttempts: 5, initialInterval: '2s' } },
  access: { providers: true },
  // One request per batch; texts and images are shared out evenly between them.
  estimate: (params, inputs) => {
    const items = (inputs.texts?.items ?? 0) + (inputs.images?.items ?? 0);
    const batches = Math.max(1, Math.ceil(items / (params.batchSize ?? 2048)));
    return {
      calls: [{
        operation: 'embed', provider: params.provider, model: params.model, calls: { min: batches, max: batches },
        inputChars: Math.ceil((inputs.texts?.chars ?? 0) / batches), images: Math.ceil((inputs.images?.items ?? 0) / batches),
      }],
      outputs: { embeddings: { chars: 0, items }, embedding: { chars: 0, items: 1 } },
    };
  },
  check: (params, graph) => {
    const problems: string[] = [];
    if (!graph.isConnected('texts') && !graph.isConnected('images')) problems.push('connect "texts", "images" or both.');
    // Validation cannot see the worker's providers, so only a named model (or the built-in openai
    // provider's documented default) is checked here; at run time the provider's capability decides.
    const model = params.model ?? (params.provider === 'openai' ? 'text-embedding-3-small' : undefined);
    if (graph.isConnected('images') && model && TEXT_ONLY_MODELS.test(model)) {
      problems.push(`model "${model}" embeds text only; use a CLIP-style model for images.`);
    }
    return problems;
  },
  run: async (ctx, inputs, params) => {
    const embedder = ctx.providers.require(params.provider, 'embed');
    const model = resolveModel(params.provider, params.model, embedder.defaultModel, 'embed');
    const images = inputs.images ?? [];
    if (images.length && !embedder.supportsImages(model)) {
      throw new NodeError('CAPABILITY_UNSUPPORTED', `Provider "${params.provider}" model "${model}" cannot embed images.`);
    }
    const items: EmbedInput[] = [
      ...(inputs.texts ?? []).map((text) => ({ type: 'text' as const, text })),
      ...(await Promise.all(images.map(async (ref) => ({ type: 'image' as const, image: await readBlob(ctx, ref) })))),
    ];
    if (items.length === 0) throw new NodeError('NODE_INPUT_INVALID', 'Nothing to embed: the inputs are empty.');
    const batch = Math.min(params.batchSize ?? embedder.maxBatch, embedder.maxBatch);
    const embeddings: Embedding[] = [];
    for (let i = 0; i < items.length; i += batch) {
      const result = await embedder.embed({ model, inputs: items.slice(i, i + batch), signal: ctx.signal });
      ctx.recordUsage(result.usage);
      embeddings.push(...result.vectors.map((vector) => ({ model, vector })));
      ctx.progress(Math.min(1, (i + batch) / items.length));
    }
    return { embeddings, embedding: embeddings[0] };
  },
});

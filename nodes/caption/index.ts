import { z } from 'zod';
import { defineNode } from '../../engine/node-sdk/define-node.ts';
import { imageForProvider } from '../common/media.ts';
import { detailParam, maxTokensParam, modelParam, providerParam, temperatureParam, resolveModel } from '../common/params.ts';
import { CLINICAL_IMAGE_SYSTEM_PROMPT } from '../common/prompts.ts';

const SYSTEM_PRESETS = { none: undefined, 'clinical-safety': CLINICAL_IMAGE_SYSTEM_PROMPT } as const;

/** A vision model describes an image, or answers a question about it. */
export const captionNode = defineNode({
  type: 'caption',
  version: 1,
  title: 'Caption image',
  category: 'AI',
  description: 'A vision model describes an image or answers a question about it. The clinical-safety preset describes without diagnosing.',
  params: z.object({
    provider: providerParam('openai'),
    model: modelParam('gpt-4o'),
    preset: z.enum(['none', 'clinical-safety']).default('none').describe('A ready-made system prompt.'),
    system: z.string().optional().describe('System prompt (after the preset\'s, if any).'),
    prompt: z.string().default('Describe this image in detail.').describe('Used when no question is wired in.'),
    detail: detailParam,
    maxTokens: maxTokensParam.default(1024),
    temperature: temperatureParam,
  }),
  inputs: { image: { kind: 'image' }, question: { kind: 'text', required: false } },
  outputs: { text: { kind: 'text' } },
  execution: { startToCloseTimeout: '5m', heartbeatTimeout: '1m', retry: { maximumAttempts: 5, initialInterval: '2s' } },
  access: { providers: true },
  estimate: (params, inputs) => {
    const system = [SYSTEM_PRESETS[params.preset], params.system].filter(Boolean).join('\n\n');
    const question = inputs.question?.items ? inputs.question.chars : params.prompt.length;
    return {
      calls: [{
        operation: 'chat', job: 'vision', provider: params.provider, model: params.model, calls: { min: 1, max: 1 }, messages: system ? 2 : 1,
        inputChars: system.length + question, images: 1, maxOutputTokens: params.maxTokens,
      }],
    };
  },
  run: async (ctx, inputs, params) => {
    const chat = ctx.providers.require(params.provider, 'chat');
    const image = await imageForProvider(ctx, inputs.image, chat, params.detail);
    const system = [SYSTEM_PRESETS[params.preset], params.system].filter(Boolean).join('\n\n') || undefined;
    const result = await chat.chat({
      model: resolveModel(params.provider, params.model, chat.defaultVisionModel, 'vision'),
      system,
      messages: [{ role: 'user', content: [{ type: 'image', image, detail: params.detail }, { type: 'text', text: inputs.question ?? params.prompt }] }],
      maxTokens: params.maxTokens,
      temperature: params.temperature,
      signal: ctx.signal,
    });
    ctx.recordUsage(result.usage);
    return { text: result.text };
  },
});

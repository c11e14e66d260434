import { z } from 'zod';
import { defineNode, type PortMap } from '../../engine/node-sdk/define-node.ts';
import type { ContentPart } from '../../engine/providers/types.ts';
import { imageForProvider } from '../common/media.ts';
import { detailParam, maxTokensParam, modelParam, providerParam, temperatureParam, resolveModel } from '../common/params.ts';
import { renderTemplate, templatePlaceholders } from '../common/template.ts';

/** A chat model call: a prompt template filled from the inputs, optional images, text out. */
export const llmNode = defineNode({
  type: 'llm',
  version: 1,
  title: 'LLM',
  category: 'AI',
  description: 'Sends a prompt (with {{placeholders}} filled from the inputs, and optional images) to a chat model and returns its answer.',
  params: z.object({
    provider: providerParam('openai'),
    model: modelParam('gpt-4o-mini'),
    system: z.string().optional().describe('System prompt.'),
    prompt: z.string().min(1).describe('User prompt; each {{placeholder}} becomes an input.'),
    temperature: temperatureParam,
    maxTokens: maxTokensParam,
    detail: detailParam,
  }),
  inputs: (params): PortMap => ({
    ...Object.fromEntries(templatePlaceholders(params.prompt).filter((n) => n !== 'images').map((name) => [name, { kind: 'any' as const }])),
    images: { kind: 'image[]', required: false },
  }),
  outputs: { text: { kind: 'text' } },
  execution: { startToCloseTimeout: '5m', heartbeatTimeout: '1m', retry: { maximumAttempts: 5, initialInterval: '2s' } },
  access: { providers: true },
  estimate: (params, inputs) => {
    const text = Object.entries(inputs).reduce((sum, [port, size]) => sum + (port === 'images' ? 0 : size.chars), 0);
    return {
      calls: [{
        operation: 'chat', provider: params.provider, model: params.model, calls: { min: 1, max: 1 }, messages: params.system ? 2 : 1,
        inputChars: (params.system?.length ?? 0) + params.prompt.length + text, images: inputs.images?.items ?? 0, maxOutputTokens: params.maxTokens,
      }],
    };
  },
  run: async (ctx, inputs, params) => {
    const chat = ctx.providers.require(params.provider, 'chat');
    const images = (inputs.images as Parameters<typeof imageForProvider>[1][] | undefined) ?? [];
    const content: ContentPart[] = [{ type: 'text', text: renderTemplate(params.prompt, inputs) }];
    for (const ref of images) content.push({ type: 'image', image: await imageForProvider(ctx, ref, chat, params.detail), detail: params.detail });
    const result = await chat.chat({
      model: resolveModel(params.provider, params.model, chat.defaultModel, 'chat'),
      system: params.system,
      messages: [{ role: 'user', content }],
      temperature: params.temperature,
      maxTokens: params.maxTokens,
      signal: ctx.signal,
    });
    ctx.recordUsage(result.usage);
    return { text: result.text };
  },
});

import { z } from 'zod';
import { defineNode, NodeError } from '../../engine/node-sdk/define-node.ts';
import type { ChatMessage, ContentPart } from '../../engine/providers/types.ts';
import { imageForProvider } from '../common/media.ts';
import { detailParam, maxTokensParam, modelParam, providerParam, temperatureParam, resolveModel } from '../common/params.ts';
import { PRESETS } from './presets.ts';
import { compileSchema, schemaErrors } from '../common/schema-check.ts';

/**
 * Text (and optional images) in, a value valid against a JSON Schema out. OpenAI uses strict structured
 * outputs, Anthropic forced tool use; the answer is validated, one repair turn feeds the errors back,
 * and a second invalid answer fails the node without retries (retrying would pay for the same mistake).
 */
export const extractJsonNode = defineNode({
  type: 'extract-json',
  version: 1,
  title: 'Extract JSON',
  category: 'AI',
  description: 'Extracts structured data valid against a JSON Schema (or a preset such as clinical-voice-note) from text and images.',
  params: z.object({
    provider: providerParam('openai'),
    model: modelParam('gpt-4o'),
    preset: z.enum(Object.keys(PRESETS) as [string, ...string[]]).optional().describe('A ready-made schema and instructions.'),
    schema: z.record(z.string(), z.unknown()).optional().describe('JSON Schema of the result (instead of a preset).'),
    schemaName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('extraction'),
    instructions: z.string().optional().describe('What to extract; added to the preset\'s instructions.'),
    temperature: temperatureParam.default(0),
    maxTokens: maxTokensParam,
    detail: detailParam,
  }),
  inputs: { text: { kind: 'text', required: false }, images: { kind: 'image[]', required: false } },
  outputs: { json: { kind: 'json' } },
  execution: { startToCloseTimeout: '5m', heartbeatTimeout: '1m', retry: { maximumAttempts: 5, initialInterval: '2s' } },
  access: { providers: true },
  // One call, and a repair turn when the first answer does not fit the schema (counted with the first call's input).
  estimate: (params, inputs) => {
    const preset = params.preset ? PRESETS[params.preset] : undefined;
    const schema = JSON.stringify(preset?.schema ?? params.schema ?? {});
    const system = [preset?.instructions, params.instructions].filter(Boolean).join('\n') || 'Extract the requested structured data.';
    return {
      calls: [{
        operation: 'structured', provider: params.provider, model: params.model, calls: { min: 1, max: 2 }, messages: 2,
        inputChars: system.length + schema.length + (inputs.text?.chars ?? 0), images: inputs.images?.items ?? 0, maxOutputTokens: params.maxTokens,
      }],
    };
  },
  check: (params, graph) => {
    const problems: string[] = [];
    if (!params.preset && !params.schema) problems.push('set either "preset" or "schema".');
    if (params.preset && params.schema) problems.push('set "preset" or "schema", not both.');
    if (params.schema) {
      const compiled = compileSchema(params.schema);
      if ('error' in compiled) problems.push(`"schema" is not a valid JSON Schema: ${compiled.error}`);
    }
    if (!graph.isConnected('text') && !graph.isConnected('images')) problems.push('connect "text", "images" or both.');
    return problems;
  },
  run: async (ctx, inputs, params) => {
    const preset = params.preset ? PRESETS[params.preset] : undefined;
    const schema = (preset?.schema ?? params.schema)!;
    const compiled = compileSchema(schema);
    if ('error' in compiled) throw new NodeError('PARAMS_INVALID', `"schema" is not a valid JSON Schema: ${compiled.error}`);
    const structured = ctx.providers.require(params.provider, 'structured');

    const content: ContentPart[] = [];
    if (inputs.text) content.push({ type: 'text', text: inputs.text });
    for (const ref of inputs.images ?? []) content.push({ type: 'image', image: await imageForProvider(ctx, ref, structured, params.detail), detail: params.detail });
    const system = [preset?.instructions, params.instructions].filter(Boolean).join('\n') || 'Extract the requested structured data.';
    const messages: ChatMessage[] = [{ role: 'user', content }];
    const ask = async () => {
      const result = await structured.structured({
        model: resolveModel(params.provider, params.model, structured.defaultModel, 'structured'),
        system,
        messages,
        schema,
        schemaName: params.schemaName,
        temperature: params.temperature,
        maxTokens: params.maxTokens,
        signal: ctx.signal,
      });
      ctx.recordUsage(result.usage);
      return result.value;
    };

    const first = await ask();
    const firstErrors = schemaErrors(compiled.validate, first);
    if (firstErrors.length === 0) return { json: first };

    ctx.log.info({ errors: firstErrors }, 'extraction invalid; asking for a repair');
    messages.push(
      { role: 'assistant', content: [{ type: 'text', text: JSON.stringify(first) }] },
      { role: 'user', content: [{ type: 'text', text: `That JSON does not match the schema:\n- ${firstErrors.join('\n- ')}\nReturn corrected JSON only.` }] },
    );
    const second = await ask();
    const secondErrors = schemaErrors(compiled.validate, second);
    if (secondErrors.length === 0) return { json: second };
    throw new NodeError('EXTRACTION_INVALID', `The model's answer does not match the schema after one repair: ${secondErrors.join('; ')}`, {
      details: { errors: secondErrors },
    });
  },
});

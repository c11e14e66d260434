import { z } from 'zod';
import { defineNode, NodeError, type PortMap } from '../../engine/node-sdk/define-node.ts';
import { formatBytes, MAX_VALUE_BYTES } from '../../engine/run/size-limits.ts';
import { renderTemplate, templatePlaceholders, TemplateTooLongError } from '../common/template.ts';

/** Text with `{{name}}` placeholders; each placeholder becomes an input port. `{{name.path}}` reads into JSON. */
export const textTemplateNode = defineNode({
  type: 'text-template',
  version: 1,
  title: 'Text template',
  category: 'Text',
  description: 'Fills {{placeholders}} in a template with the values wired into them. JSON values are written as JSON; {{data.field}} reads a field.',
  params: z.object({ template: z.string().min(1).describe('Template text with {{placeholders}}.') }),
  inputs: (params): PortMap =>
    Object.fromEntries(templatePlaceholders(params.template).map((name) => [name, { kind: 'any' as const }])),
  outputs: { text: { kind: 'text' } },
  // No provider call; the text is the template plus what fills it.
  estimate: (params, inputs) => ({ calls: [], outputs: { text: { chars: params.template.length + Object.values(inputs).reduce((sum, size) => sum + size.chars, 0), items: 1 } } }),
  execution: { startToCloseTimeout: '30s', local: true },
  run: (_ctx, inputs, params) => {
    try {
      // Characters, a lower bound of the bytes: the engine's own check on the output catches the rest.
      return { text: renderTemplate(params.template, inputs, MAX_VALUE_BYTES) };
    } catch (err) {
      if (!(err instanceof TemplateTooLongError)) throw err;
      throw new NodeError('VALUE_TOO_LARGE', `The filled template would be over the ${formatBytes(MAX_VALUE_BYTES)} a value may be; use a shorter template or smaller inputs.`);
    }
  },
});

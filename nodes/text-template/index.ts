import { z } from 'zod';
import { defineNode, type PortMap } from '../../engine/node-sdk/define-node.ts';
import { renderTemplate, templatePlaceholders } from './template.ts';

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
  execution: { startToCloseTimeout: '30s' },
  run: (_ctx, inputs, params) => ({ text: renderTemplate(params.template, inputs) }),
});

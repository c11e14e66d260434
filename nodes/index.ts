/** The built-in node types. Third-party nodes are registered the same way (see engine/plugins.ts). */
import type { NodeDefinition } from '../engine/node-sdk/define-node.ts';
import { NodeRegistry } from '../engine/node-sdk/registry.ts';
import { inputNode } from './input/index.ts';
import { joinNode } from './join/index.ts';
import { jsonPickNode } from './json-pick/index.ts';
import { loadFileNode } from './load-file/index.ts';
import { outputNode } from './output/index.ts';
import { textTemplateNode } from './text-template/index.ts';

export const builtinNodes: readonly NodeDefinition[] = [inputNode, outputNode, textTemplateNode, jsonPickNode, joinNode, loadFileNode];

/** A fresh registry holding the built-in nodes plus any extra definitions (plugins, tests). */
export function createRegistry(extra: Iterable<NodeDefinition> = []): NodeRegistry {
  return new NodeRegistry([...builtinNodes, ...extra]);
}

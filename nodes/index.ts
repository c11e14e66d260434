/** The built-in node types. Third-party nodes are registered the same way (see engine/plugins.ts). */
import type { NodeDefinition } from '../engine/node-sdk/define-node.ts';
import { NodeRegistry } from '../engine/node-sdk/registry.ts';
import { approvalNode } from './approval/index.ts';
import { branchNode } from './branch/index.ts';
import { captionNode } from './caption/index.ts';
import { delayNode } from './delay/index.ts';
import { documentNode } from './document/index.ts';
import { embedNode } from './embed/index.ts';
import { extractJsonNode } from './extract-json/index.ts';
import { imageTileNode } from './image-tile/index.ts';
import { inputNode } from './input/index.ts';
import { joinNode } from './join/index.ts';
import { jsonPickNode } from './json-pick/index.ts';
import { llmNode } from './llm/index.ts';
import { loadFileNode } from './load-file/index.ts';
import { mergeNode } from './merge/index.ts';
import { ocrNode } from './ocr/index.ts';
import { outputNode } from './output/index.ts';
import { pipelineNode } from './pipeline/index.ts';
import { pdfPagesNode } from './pdf-pages/index.ts';
import { similarityNode } from './similarity/index.ts';
import { textTemplateNode } from './text-template/index.ts';
import { transcribeNode } from './transcribe/index.ts';
import { vectorIndexNode } from './vector-index/index.ts';
import { vectorSearchNode } from './vector-search/index.ts';

export const builtinNodes: readonly NodeDefinition[] = [
  // pipeline plumbing and data
  inputNode,
  outputNode,
  textTemplateNode,
  jsonPickNode,
  joinNode,
  loadFileNode,
  // control flow
  branchNode,
  mergeNode,
  approvalNode,
  delayNode,
  pipelineNode,
  // media and AI
  transcribeNode,
  captionNode,
  ocrNode,
  imageTileNode,
  pdfPagesNode,
  embedNode,
  similarityNode,
  extractJsonNode,
  llmNode,
  documentNode,
  vectorIndexNode,
  vectorSearchNode,
];

/** A fresh registry holding the built-in nodes plus any extra definitions (plugins, tests). */
export function createRegistry(extra: Iterable<NodeDefinition> = []): NodeRegistry {
  return new NodeRegistry([...builtinNodes, ...extra]);
}

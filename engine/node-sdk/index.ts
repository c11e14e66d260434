/**
 * The node SDK, the one entry point for third-party nodes: `import { defineNode, NodeError, z } from
 * 'tessera/node-sdk'` (package.json `exports`). `z` is the zod that Tessera itself uses, so a plugin
 * describes its params without a copy of zod of its own (two copies would not share schema types).
 */
export { z } from 'zod';
export { defineNode, NodeError, DEFAULT_EXECUTION } from './define-node.ts';
export type {
  ExecutionSpec, GraphInfo, LocalFiles, NodeAccess, NodeContext, NodeDefinition, NodeDefinitionInput, NodeRole, PortMap, PortSpec,
  Ports, RetrySpec,
} from './define-node.ts';
export type { CallForecast, ForecastOperation, InputSizes, NodeForecast, ValueSize } from './forecast.ts';
export { PORT_KINDS, SCALAR_KINDS, isListKind, isPortKind, connectionRule } from '../ports.ts';
export type { Embedding, ListKind, PortKind, PortValue, ScalarKind } from '../ports.ts';
export type { BlobRef } from '../blob/ref.ts';

/**
 * Validation of a pipeline file, in order: JSON, schema, size (size-check.ts), then the graph against the
 * node registry.
 * Every problem found is reported (not only the first) as a coded error naming the node and port.
 */
import { checkPins } from './pins.ts';
import { z } from 'zod';
import { codedError, type CodedError } from '../errors.ts';
import { acceptsManyEdges, connectionRule, isListKind } from '../ports.ts';
import type { NodeDefinition, PortMap, PortSpec } from '../node-sdk/define-node.ts';
import type { NodeRegistry } from '../node-sdk/registry.ts';
import type { FilePolicy } from '../files/policy.ts';
import { checkLocalFiles } from './local-files-check.ts';
import { PipelineSchema, type Pipeline, type PipelineEdge, type PipelineNode } from './schema.ts';
import { findCycle } from './graph.ts';
import { checkPipelineSize } from './size-check.ts';
import { unknownParamKeys, knownParamKeys } from './param-keys.ts';
import { didYouMean } from './suggest.ts';
import { mappedInputKind, mappedInputs, mappedOutputs } from './map-ports.ts';
import { subPipelinePorts, type SubPipelineSource } from './sub-pipelines.ts';

/** A node after validation: its definition, parsed params and the ports those params give it. */
export interface ResolvedNode {
  node: PipelineNode;
  definition: NodeDefinition;
  params: unknown;
  inputs: PortMap;
  outputs: PortMap;
  /** `pipeline` nodes: the saved version they run, validated. */
  child?: { id: string; version: number; valid: ValidPipeline };
}

export interface ResolvedEdge {
  edge: PipelineEdge;
  from: { nodeId: string; port: string };
  to: { nodeId: string; port: string };
  mode: 'same' | 'wrap';
}

export interface ValidPipeline {
  pipeline: Pipeline;
  nodes: Map<string, ResolvedNode>;
  edges: ResolvedEdge[];
}

export type ValidationResult = { ok: true; value: ValidPipeline } | { ok: false; errors: CodedError[] };

export interface ValidateOptions {
  /**
   * Set for pipelines that arrive from outside the machine (the API): nodes that read the worker's disk
   * are refused unless the policy has roots, and the paths they name must lie under them. Unset (the
   * local CLI): no such check.
   */
  localFiles?: FilePolicy;
  /** Saved pipelines that `pipeline` nodes may run (engine/pipeline/sub-pipelines.ts); without it they are refused. */
  subPipelines?: SubPipelineSource;
  /** The saved pipelines being validated around this one, outermost first (to refuse cycles). */
  within?: string[];
}

/** Validates pipeline text (the content of a file or request body). */
export function validatePipelineText(text: string, registry: NodeRegistry, options: ValidateOptions = {}): ValidationResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [notJson(text, err as Error)] };
  }
  return validatePipeline(data, registry, options);
}

/** FILE_NOT_JSON with the line and column of the mistake (JSON.parse only gives a character offset). */
function notJson(text: string, err: Error): CodedError {
  const offset = /at position (\d+)/.exec(err.message)?.[1];
  if (offset === undefined) return codedError('FILE_NOT_JSON', `The pipeline is not valid JSON: ${err.message}`);
  const before = text.slice(0, Number(offset));
  const line = before.split('\n').length;
  const column = Number(offset) - before.lastIndexOf('\n');
  const reason = err.message.replace(/ in JSON at position \d+.*$/s, '');
  return codedError('FILE_NOT_JSON', `The pipeline is not valid JSON: line ${line}, column ${column}: ${reason}.`, { details: { line, column } });
}

/** Validates an already-parsed pipeline document. */
export function validatePipeline(data: unknown, registry: NodeRegistry, options: ValidateOptions = {}): ValidationResult {
  const parsed = PipelineSchema.safeParse(data);
  if (!parsed.success) return { ok: false, errors: schemaErrors(parsed.error, data) };
  // Before the graph: a pipeline too large to run is refused without further work on it.
  const tooLarge = checkPipelineSize(parsed.data);
  if (tooLarge.length) return { ok: false, errors: tooLarge };
  return validateGraph(parsed.data, registry, options);
}

function schemaErrors(error: z.ZodError, data: unknown): CodedError[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : '(root)';
    const nodeIndex = issue.path[0] === 'nodes' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
    const nodeId = nodeIndex !== undefined ? nodeIdAt(data, nodeIndex) : undefined;
    const code = nodeIndex !== undefined && issue.path[2] === 'options' ? 'OPTIONS_INVALID' : 'SCHEMA_INVALID';
    return codedError(code, `${where}: ${issue.message}`, {
      ...(nodeId ? { nodeId } : {}),
      details: { path: issue.path },
    });
  });
}

function nodeIdAt(data: unknown, index: number): string | undefined {
  const nodes = (data as { nodes?: unknown[] })?.nodes;
  const id = (nodes?.[index] as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

function validateGraph(pipeline: Pipeline, registry: NodeRegistry, options: ValidateOptions): ValidationResult {
  const errors: CodedError[] = [];
  const nodes = new Map<string, ResolvedNode>();
  const seen = new Set<string>();

  for (const node of pipeline.nodes) {
    if (seen.has(node.id)) {
      errors.push(codedError('DUPLICATE_NODE_ID', `Node id "${node.id}" is used more than once.`, { nodeId: node.id }));
      continue;
    }
    seen.add(node.id);
    const resolved = resolveNode(node, registry, errors);
    if (resolved && node.map && !applyMap(resolved, errors)) continue;
    if (resolved && resolved.definition.type === 'pipeline' && resolved.definition.role === 'control' && !resolveChild(resolved, registry, options, errors)) continue;
    if (resolved) nodes.set(node.id, resolved);
  }

  checkUniqueNames(nodes, 'input', 'DUPLICATE_INPUT_NAME', errors);
  checkUniqueNames(nodes, 'output', 'DUPLICATE_OUTPUT_NAME', errors);

  const edges = resolveEdges(pipeline.edges, seen, nodes, errors);
  checkRequiredInputs(nodes, pipeline.edges, errors);
  runNodeChecks(nodes, pipeline.edges, errors);
  checkPins([...nodes.values()].map((r) => ({ node: r.node, role: r.definition.role, outputs: r.outputs })), errors);
  if (options.localFiles) errors.push(...checkLocalFiles(nodes, options.localFiles));

  const cycle = findCycle([...seen], pipeline.edges.map((e) => ({ from: e.from.split('.')[0], to: e.to.split('.')[0] })));
  if (cycle) {
    errors.push(codedError('CYCLE', `The edges form a cycle: ${cycle.join(' -> ')}.`, { nodeId: cycle[0], details: { cycle } }));
  }

  return errors.length ? { ok: false, errors } : { ok: true, value: { pipeline, nodes, edges } };
}

function resolveNode(node: PipelineNode, registry: NodeRegistry, errors: CodedError[]): ResolvedNode | undefined {
  if (!registry.hasType(node.type)) {
    const hint = didYouMean(node.type, new Set(registry.all().map((d) => d.type)));
    errors.push(codedError('UNKNOWN_NODE_TYPE', `Node "${node.id}" has unknown type "${node.type}".${hint} See \`tessera nodes\` for the node types.`, { nodeId: node.id }));
    return undefined;
  }
  const definition = registry.get(node.type, node.version);
  if (!definition) {
    const known = registry.versionsOf(node.type).join(', ');
    errors.push(
      codedError('UNKNOWN_NODE_VERSION', `Node "${node.id}": type "${node.type}" has no version ${node.version} (known: ${known}).`, {
        nodeId: node.id,
      }),
    );
    return undefined;
  }
  // zod objects drop keys they do not know, so a misspelt param would pass unnoticed: refuse it.
  const unknownKeys = unknownParamKeys(definition.params, node.params ?? {});
  for (const key of unknownKeys) {
    const known = [...(knownParamKeys(definition.params) ?? [])];
    errors.push(
      codedError('PARAMS_INVALID', `Node "${node.id}" (${node.type}) has no param "${key}".${didYouMean(key, known)} Its params: ${known.join(', ') || 'none'}.`, {
        nodeId: node.id,
        details: { path: [key] },
      }),
    );
  }
  const params = definition.params.safeParse(node.params ?? {});
  if (unknownKeys.length && params.success) return undefined;
  if (!params.success) {
    for (const issue of params.error.issues) {
      const field = issue.path.join('.') || '(params)';
      errors.push(
        codedError('PARAMS_INVALID', `Node "${node.id}" param ${field}: ${issue.message}`, {
          nodeId: node.id,
          details: { path: issue.path },
        }),
      );
    }
    return undefined;
  }
  return {
    node,
    definition,
    params: params.data,
    inputs: definition.inputsFor(params.data),
    outputs: definition.outputsFor(params.data),
  };
}

/** A mapped node's ports (engine/pipeline/map-ports.ts); false (with MAP_INVALID) when it cannot be mapped. */
function applyMap(resolved: ResolvedNode, errors: CodedError[]): boolean {
  const { node, definition } = resolved;
  const map = node.map!;
  const problem = (message: string) => {
    errors.push(codedError('MAP_INVALID', `Node "${node.id}" (${node.type}) cannot be mapped over "${map.port}": ${message}.`, { nodeId: node.id, port: map.port }));
    return false;
  };
  if (definition.role !== 'task') return problem(`only task nodes run once per item, and this is a${definition.role === 'input' ? 'n' : ''} ${definition.role} node`);
  if (!Object.hasOwn(resolved.inputs, map.port)) return problem(`it has no such input (inputs: ${Object.keys(resolved.inputs).join(', ') || 'none'})`);
  const kind = mappedInputKind(resolved.inputs[map.port].kind);
  if (!kind.ok) return problem(kind.reason);
  if (map.onItemError === 'continue' && Object.hasOwn(resolved.outputs, 'itemErrors')) return problem('it already has an output named "itemErrors"');
  resolved.inputs = mappedInputs(resolved.inputs, map);
  resolved.outputs = mappedOutputs(resolved.outputs, map) as PortMap;
  return true;
}

/** A `pipeline` node's saved version, validated, and the ports it gives the node; false when it cannot run. */
function resolveChild(resolved: ResolvedNode, registry: NodeRegistry, options: ValidateOptions, errors: CodedError[]): boolean {
  const nodeId = resolved.node.id;
  const { pipeline: id, version } = resolved.params as { pipeline: string; version?: number };
  const saved = options.subPipelines?.get(id, version);
  if (!saved) {
    const which = version === undefined ? `pipeline "${id}"` : `version ${version} of pipeline "${id}"`;
    errors.push(codedError('SUB_PIPELINE_NOT_FOUND', `Node "${nodeId}" runs ${which}, which is not saved${options.subPipelines ? '' : ' (sub-pipelines run from saved pipelines: save it, then run through the API or `tessera run`)'}.`, { nodeId }));
    return false;
  }
  const within = options.within ?? [];
  if (within.includes(saved.id)) {
    const cycle = [...within.slice(within.indexOf(saved.id)), saved.id];
    errors.push(codedError('PIPELINE_CYCLE', `Node "${nodeId}" runs pipeline "${saved.id}", which runs itself: ${cycle.join(' -> ')}.`, { nodeId, details: { cycle } }));
    return false;
  }
  const child = validatePipeline(saved.document, registry, { ...options, within: [...within, saved.id] });
  if (!child.ok) {
    const cycle = child.errors.find((e) => e.code === 'PIPELINE_CYCLE');
    if (cycle) {
      errors.push(codedError('PIPELINE_CYCLE', cycle.message, { nodeId, details: cycle.details }));
      return false;
    }
    errors.push(codedError('SUB_PIPELINE_INVALID', `Node "${nodeId}": version ${saved.version} of pipeline "${saved.id}" is not valid: ${child.errors[0].message}`, { nodeId, details: { errors: child.errors } }));
    return false;
  }
  const ports = subPipelinePorts(child.value);
  resolved.inputs = ports.inputs;
  resolved.outputs = ports.outputs;
  resolved.child = { id: saved.id, version: saved.version, valid: child.value };
  return true;
}

function checkUniqueNames(
  nodes: Map<string, ResolvedNode>,
  role: 'input' | 'output',
  code: 'DUPLICATE_INPUT_NAME' | 'DUPLICATE_OUTPUT_NAME',
  errors: CodedError[],
): void {
  const owners = new Map<string, string>();
  for (const [id, resolved] of nodes) {
    if (resolved.definition.role !== role) continue;
    const name = (resolved.params as { name: string }).name;
    const owner = owners.get(name);
    if (owner) errors.push(codedError(code, `Nodes "${owner}" and "${id}" both declare the ${role} "${name}".`, { nodeId: id }));
    else owners.set(name, id);
  }
}

function splitEndpoint(endpoint: string): { nodeId: string; port: string } | undefined {
  const dot = endpoint.lastIndexOf('.');
  if (dot <= 0 || dot === endpoint.length - 1) return undefined;
  return { nodeId: endpoint.slice(0, dot), port: endpoint.slice(dot + 1) };
}

function resolveEdges(
  edges: PipelineEdge[],
  ids: Set<string>,
  nodes: Map<string, ResolvedNode>,
  errors: CodedError[],
): ResolvedEdge[] {
  const resolved: ResolvedEdge[] = [];
  const incoming = new Map<string, number>();
  for (const edge of edges) {
    const from = splitEndpoint(edge.from);
    const to = splitEndpoint(edge.to);
    if (!from || !to) {
      const bad = !from ? edge.from : edge.to;
      errors.push(codedError('BAD_EDGE_ENDPOINT', `Edge endpoint "${bad}" is not of the form "node.port".`, { details: { edge } }));
      continue;
    }
    let ok = true;
    for (const end of [from, to]) {
      if (!ids.has(end.nodeId)) {
        errors.push(codedError('UNKNOWN_NODE', `Edge ${edge.from} -> ${edge.to} names unknown node "${end.nodeId}".`, { details: { edge } }));
        ok = false;
      }
    }
    const source = nodes.get(from.nodeId);
    const target = nodes.get(to.nodeId);
    if (!ok || !source || !target) continue; // unknown or already-invalid nodes were reported above
    const outSpec = portOf(source.outputs, from.port);
    const inSpec = portOf(target.inputs, to.port);
    if (!outSpec) {
      errors.push(portError(from, 'output', source.outputs));
      ok = false;
    }
    if (!inSpec) {
      errors.push(portError(to, 'input', target.inputs));
      ok = false;
    }
    if (!ok || !outSpec || !inSpec) continue;
    if (target.node.map?.port === to.port && inSpec.kind === 'any' && !isListKind(outSpec.kind)) {
      errors.push(codedError('MAP_INVALID', `Edge ${edge.from} -> ${edge.to}: node "${to.nodeId}" runs once per item of "${to.port}", so it needs a list there, not a ${outSpec.kind}.`, { nodeId: to.nodeId, port: to.port }));
      continue;
    }
    const rule = connectionRule(outSpec.kind, inSpec.kind);
    if (!rule.ok) {
      errors.push(
        codedError('INCOMPATIBLE_PORTS', `Edge ${edge.from} -> ${edge.to}: ${rule.reason}.`, {
          nodeId: to.nodeId,
          port: to.port,
          details: { from: outSpec.kind, to: inSpec.kind },
        }),
      );
      continue;
    }
    const key = `${to.nodeId}.${to.port}`;
    const count = (incoming.get(key) ?? 0) + 1;
    incoming.set(key, count);
    if (count > 1 && !acceptsManyEdges(inSpec.kind)) {
      errors.push(
        codedError('INPUT_ALREADY_CONNECTED', `Input ${key} (${inSpec.kind}) takes one edge, but several lead into it.`, {
          nodeId: to.nodeId,
          port: to.port,
        }),
      );
      continue;
    }
    resolved.push({ edge, from, to, mode: rule.mode });
  }
  return resolved;
}

/** A port by name; own keys only, so that "toString" or "constructor" are not ports. */
function portOf(ports: PortMap, name: string): PortSpec | undefined {
  return Object.hasOwn(ports, name) ? ports[name] : undefined;
}

function portError(end: { nodeId: string; port: string }, direction: 'input' | 'output', ports: PortMap): CodedError {
  const known = Object.keys(ports).join(', ') || 'none';
  return codedError('UNKNOWN_PORT', `Node "${end.nodeId}" has no ${direction} port "${end.port}" (${direction}s: ${known}).`, {
    nodeId: end.nodeId,
    port: end.port,
  });
}

/**
 * An input counts as connected when any edge leads into it, even one already reported as invalid
 * (unknown port, incompatible kinds, invalid source node), so that one mistake is reported once.
 */
function checkRequiredInputs(nodes: Map<string, ResolvedNode>, edges: PipelineEdge[], errors: CodedError[]): void {
  const connected = new Set(
    edges.flatMap((e) => {
      const to = splitEndpoint(e.to);
      return to ? [`${to.nodeId}.${to.port}`] : [];
    }),
  );
  for (const [id, resolved] of nodes) {
    for (const [port, spec] of Object.entries(resolved.inputs)) {
      if (spec.required !== false && !connected.has(`${id}.${port}`)) {
        errors.push(
          codedError('REQUIRED_INPUT_MISSING', `Node "${id}" needs its ${spec.kind} input "${port}" connected.`, { nodeId: id, port }),
        );
      }
    }
  }
}

/** Node-specific static checks (defineNode's `check`), reported as PARAMS_INVALID on that node. */
function runNodeChecks(nodes: Map<string, ResolvedNode>, edges: PipelineEdge[], errors: CodedError[]): void {
  const targets = new Set(edges.map((e) => e.to));
  for (const [id, resolved] of nodes) {
    const problems = resolved.definition.check(resolved.params, { isConnected: (port) => targets.has(`${id}.${port}`) });
    for (const message of problems) errors.push(codedError('PARAMS_INVALID', `Node "${id}": ${message}`, { nodeId: id }));
  }
}

import { z } from 'zod';
import { TesseraError } from '../errors.ts';
import type { ExecutionSpec, NodeDefinition, PortMap } from './define-node.ts';

export interface CatalogEntry {
  type: string;
  version: number;
  latest: boolean;
  title: string;
  category: string;
  description: string;
  role: string;
  /** Null when the ports depend on params (the editor asks the engine for a node's ports then). */
  inputs: PortMap | null;
  outputs: PortMap | null;
  paramsSchema: unknown;
  execution: ExecutionSpec;
}

/**
 * Holds node definitions by type and version. It is an ordinary object passed to whoever needs it:
 * no module-level registry, so tests and plugins never leak definitions into each other.
 */
export class NodeRegistry {
  private readonly byType = new Map<string, Map<number, NodeDefinition>>();

  constructor(definitions: Iterable<NodeDefinition> = []) {
    for (const definition of definitions) this.register(definition);
  }

  register(definition: NodeDefinition): this {
    const versions = this.byType.get(definition.type) ?? new Map<number, NodeDefinition>();
    if (versions.has(definition.version)) {
      throw new TesseraError(
        'DUPLICATE_NODE_DEFINITION',
        `Node type "${definition.type}" version ${definition.version} is already registered.`,
      );
    }
    versions.set(definition.version, definition);
    this.byType.set(definition.type, versions);
    return this;
  }

  hasType(type: string): boolean {
    return this.byType.has(type);
  }

  /** The definition of a type at a version, or its latest version when none is given. */
  get(type: string, version?: number): NodeDefinition | undefined {
    const versions = this.byType.get(type);
    if (!versions) return undefined;
    if (version !== undefined) return versions.get(version);
    return versions.get(Math.max(...versions.keys()));
  }

  versionsOf(type: string): number[] {
    return [...(this.byType.get(type)?.keys() ?? [])].sort((a, b) => a - b);
  }

  all(): NodeDefinition[] {
    return [...this.byType.values()].flatMap((versions) => [...versions.values()]);
  }

  /** JSON description of every node type and version, for the API and the editor. */
  catalog(): CatalogEntry[] {
    return this.all()
      .map((d) => ({
        type: d.type,
        version: d.version,
        latest: this.get(d.type)?.version === d.version,
        title: d.title,
        category: d.category,
        description: d.description,
        role: d.role,
        inputs: d.staticInputs ?? null,
        outputs: d.staticOutputs ?? null,
        paramsSchema: z.toJSONSchema(d.params, { io: 'input', unrepresentable: 'any' }),
        execution: d.execution,
      }))
      .sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version);
  }
}

/**
 * Third-party nodes: a plugin is an ES module exporting node definitions made with `defineNode`
 * (as `default` or `nodes`, a definition or a list). They join the same registry as the built-ins.
 *
 * A plugin may be TypeScript, and the SDK it imports (`tessera/node-sdk`, the package's TypeScript
 * sources) is. So when the CLI runs compiled (dist/), tsx's loader is registered before the first plugin
 * is loaded, JavaScript plugins included; commands without plugins never pay for it. Run from the
 * sources, tsx is there already.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TesseraError } from './errors.ts';
import type { NodeDefinition } from './node-sdk/define-node.ts';
import { COMPILED } from './package-root.ts';

let typeScriptLoader: Promise<void> | undefined;

/** Lets `import()` load TypeScript: tsx's ESM loader, once per process, only when running compiled. */
function allowTypeScript(): Promise<void> {
  typeScriptLoader ??= COMPILED ? import('tsx/esm/api').then(({ register }) => void register()) : Promise.resolve();
  return typeScriptLoader;
}

export async function loadPlugins(specifiers: string[]): Promise<NodeDefinition[]> {
  const definitions: NodeDefinition[] = [];
  if (specifiers.length > 0) await allowTypeScript();
  for (const specifier of specifiers) {
    const target = specifier.startsWith('.') || path.isAbsolute(specifier) ? pathToFileURL(path.resolve(specifier)).href : specifier;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(target)) as Record<string, unknown>;
    } catch (err) {
      throw new TesseraError('PLUGIN_LOAD_FAILED', `Cannot load node plugin "${specifier}": ${(err as Error).message.split('\n')[0]}`);
    }
    const exported = mod.nodes ?? mod.default;
    const list = Array.isArray(exported) ? exported : exported ? [exported] : [];
    if (list.length === 0 || !list.every(isDefinition)) {
      throw new TesseraError('PLUGIN_LOAD_FAILED', `Node plugin "${specifier}" must export node definitions (made with defineNode) as "nodes" or default.`);
    }
    definitions.push(...(list as NodeDefinition[]));
  }
  return definitions;
}

function isDefinition(value: unknown): boolean {
  const d = value as Partial<NodeDefinition>;
  return typeof d?.type === 'string' && typeof d.version === 'number' && typeof d.run === 'function' && typeof d.inputsFor === 'function';
}

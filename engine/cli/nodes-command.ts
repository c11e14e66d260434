import { cliContext, type CommonOptions } from './context.ts';

export async function nodesCommand(options: CommonOptions & { json?: boolean }): Promise<number> {
  const { registry } = await cliContext(options);
  const catalog = registry.catalog();
  if (options.json) {
    process.stdout.write(JSON.stringify(catalog, null, 2) + '\n');
    return 0;
  }
  for (const entry of catalog) {
    // "name?" marks an optional input, as the README's node table does.
    const ports = (p: Record<string, { kind: string; required?: boolean }> | null) =>
      p ? Object.entries(p).map(([name, spec]) => `${name}${spec.required === false ? '?' : ''}:${spec.kind}`).join(', ') || '-' : '(depends on params)';
    process.stdout.write(`${entry.type}@${entry.version}${entry.latest ? '' : ' (old)'}  ${entry.title}\n`);
    process.stdout.write(`    in: ${ports(entry.inputs)}   out: ${ports(entry.outputs)}\n`);
  }
  return 0;
}

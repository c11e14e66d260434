import { cliContext, type CommonOptions } from './context.ts';
import { loadRunnableFile } from './pipeline-file.ts';
import { printErrors } from './report.ts';

export async function validateCommand(file: string, options: CommonOptions & { json?: boolean }): Promise<number> {
  const { registry, settings } = await cliContext(options);
  // `pipeline` nodes are checked against the pipelines saved in the data folder's store.
  const { result } = await loadRunnableFile(file, registry, settings);
  if (options.json) {
    process.stdout.write(JSON.stringify(result.ok ? { valid: true, errors: [] } : { valid: false, errors: result.errors }) + '\n');
  } else if (result.ok) {
    const { pipeline } = result.value;
    process.stdout.write(`${file}: valid (${pipeline.name}, ${pipeline.nodes.length} nodes, ${pipeline.edges.length} edges)\n`);
  } else {
    printErrors(result.errors);
    process.stderr.write(`${file}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}\n`);
  }
  return result.ok ? 0 : 1;
}

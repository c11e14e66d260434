// Installs the tools the test suite needs beyond npm packages (run by `npm test` as its pretest step):
// Schemathesis, the property-based OpenAPI fuzzer, pinned, in a virtual environment under .tools/.
// Idempotent: does nothing when the pinned version is already there.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCHEMATHESIS_VERSION = '4.32.5';
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const venv = path.join(root, '.tools', 'schemathesis');
const marker = path.join(venv, 'tessera-version');
const python = process.env.PYTHON ?? 'python3';

if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === SCHEMATHESIS_VERSION) process.exit(0);

console.error(`tessera: installing schemathesis==${SCHEMATHESIS_VERSION} into .tools/schemathesis (tests only)`);
rmSync(venv, { recursive: true, force: true });
execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
execFileSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`], { stdio: 'inherit' });
writeFileSync(marker, `${SCHEMATHESIS_VERSION}\n`);

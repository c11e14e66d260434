// Installs the tools the test suite needs beyond the project's npm dependencies (run by `npm test` as its
// pretest step): Schemathesis, the property-based OpenAPI fuzzer, pinned, in a virtual environment under
// .tools/; moto's S3 server (the S3-compatible endpoint the S3 blob store is tested against), pinned, in
// another; and the OpenAPI linter and client generator, pinned, under .tools/openapi.
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

if (!(existsSync(marker) && readFileSync(marker, 'utf8').trim() === SCHEMATHESIS_VERSION)) {
  console.error(`tessera: installing schemathesis==${SCHEMATHESIS_VERSION} into .tools/schemathesis (tests only)`);
  rmSync(venv, { recursive: true, force: true });
  execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`], { stdio: 'inherit' });
  writeFileSync(marker, `${SCHEMATHESIS_VERSION}\n`);
}

// moto_server (PyPI `moto[server]`): a local S3 endpoint for the S3 blob store's tests (test/support/moto.ts).
const MOTO_VERSION = '5.2.5';
const motoVenv = path.join(root, '.tools', 'moto');
const motoMarker = path.join(motoVenv, 'tessera-version');
if (!(existsSync(motoMarker) && readFileSync(motoMarker, 'utf8').trim() === MOTO_VERSION)) {
  console.error(`tessera: installing moto[server]==${MOTO_VERSION} into .tools/moto (tests only)`);
  rmSync(motoVenv, { recursive: true, force: true });
  execFileSync(python, ['-m', 'venv', motoVenv], { stdio: 'inherit' });
  execFileSync(path.join(motoVenv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `moto[server]==${MOTO_VERSION}`], { stdio: 'inherit' });
  writeFileSync(motoMarker, `${MOTO_VERSION}\n`);
}

// The OpenAPI linter (Redocly CLI, recommended rules) and a client generator (openapi-typescript) that
// test/api/openapi-lint.test.ts runs on the served document. npm packages, but kept out of the project's
// dependencies: only the tests use them. Pinned, in their own folder.
const OPENAPI_TOOLS = ['@redocly/cli@2.77.0', 'openapi-typescript@7.13.0'];
const openapiDir = path.join(root, '.tools', 'openapi');
const openapiMarker = path.join(openapiDir, 'tessera-version');
if (!(existsSync(openapiMarker) && readFileSync(openapiMarker, 'utf8').trim() === OPENAPI_TOOLS.join(' '))) {
  console.error(`tessera: installing ${OPENAPI_TOOLS.join(', ')} into .tools/openapi (tests only)`);
  rmSync(openapiDir, { recursive: true, force: true });
  execFileSync('npm', ['install', '--prefix', openapiDir, '--no-audit', '--no-fund', '--ignore-scripts', '--save-exact', ...OPENAPI_TOOLS], { stdio: 'inherit' });
  writeFileSync(openapiMarker, `${OPENAPI_TOOLS.join(' ')}\n`);
}

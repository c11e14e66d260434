/** There is no Docker engine on the build machines, so the compose file is validated, not run. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
  services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string>; depends_on?: string[] }>;
};

test('every service has an image and depends only on services that exist', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    assert.ok(service.image, `${name} has no image`);
    for (const dependency of service.depends_on ?? []) assert.ok(compose.services[dependency], `${name} depends on unknown ${dependency}`);
  }
});

test('the API and the workers run real tessera commands against the Temporal service', () => {
  for (const name of ['api', 'worker']) {
    const service = compose.services[name];
    assert.deepEqual(service.command!.slice(0, 2), ['node', 'bin/tessera.js']);
    assert.ok(['serve', 'worker'].includes(service.command![2]));
    assert.equal(service.environment!.TEMPORAL_ADDRESS, 'temporal:7233');
  }
  assert.ok(compose.services.api.command!.includes('--auth'), 'an API on 0.0.0.0 requires keys');
});

test('no secret is written in the file', () => {
  for (const service of Object.values(compose.services)) {
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      if (/KEY|TOKEN|SECRET/.test(key)) assert.match(value, /^\$\{[A-Z_]+:-\}$/, `${key} must come from the environment`);
    }
  }
});

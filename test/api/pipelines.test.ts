/**
 * Pipelines through the HTTP API against the real SQLite store: validation before anything is saved
 * (coded 400s), create, paged list, immutable versions, node versions pinned on save, delete, validate
 * without saving, export/import round trips, coded 404s, and API keys.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Pipeline } from '../../engine/pipeline/schema.ts';
import { startApiEnv, type ApiEnv } from '../support/api-env.ts';

const greeting: Pipeline = JSON.parse(readFileSync(new URL('../../examples/greeting.pipeline.json', import.meta.url), 'utf8'));
const named = (name: string): Pipeline => ({ ...greeting, name });

/** Two mistakes at once: an unknown node type and an edge into a port that does not exist. */
const invalid: Pipeline = {
  ...greeting,
  nodes: [...greeting.nodes, { id: 'mystery', type: 'no-such-node' }],
  edges: [...greeting.edges, { from: 'who.value', to: 'hello.nope' }],
};

describe('pipelines', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv();
  });
  after(async () => env?.close());

  const create = async (document: unknown) => {
    const response = await env.request('POST', '/api/v1/pipelines', { body: document });
    assert.equal(response.status, 201, response.text);
    return response.json;
  };
  const listAll = async () => (await env.request('GET', '/api/v1/pipelines?limit=200')).json.items;

  test('an invalid pipeline answers 400 with every coded error, and nothing is saved', async () => {
    const { status, json } = await env.request('POST', '/api/v1/pipelines', { body: invalid });
    assert.equal(status, 400);
    assert.equal(json.error.code, 'UNKNOWN_NODE_TYPE');
    const codes = json.error.details.errors.map((e: { code: string }) => e.code).sort();
    assert.deepEqual(codes, ['UNKNOWN_NODE_TYPE', 'UNKNOWN_PORT']);
    assert.equal(json.error.details.errors.find((e: { code: string }) => e.code === 'UNKNOWN_NODE_TYPE').nodeId, 'mystery');

    for (const body of [{ format: 'tessera.pipeline/v1' }, [greeting], 'text', { ...greeting, nodes: 'x' }]) {
      const response = await env.request('POST', '/api/v1/pipelines', { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.json.error.code, 'SCHEMA_INVALID', JSON.stringify(body));
    }
    assert.equal((await env.request('POST', '/api/v1/pipelines', { body: '{"format":', headers: { 'content-type': 'application/json' } })).json.error.code, 'REQUEST_INVALID');
    assert.deepEqual(await listAll(), []);
  });

  test('create answers 201 with the pipeline and its version 1, which GET returns', async () => {
    const { pipeline, version } = await create(greeting);
    assert.match(pipeline.id, /^pl_/);
    assert.equal(pipeline.name, 'greeting');
    assert.equal(pipeline.description, greeting.description);
    assert.equal(pipeline.latestVersion, 1);
    assert.equal(version.pipelineId, pipeline.id);
    assert.equal(version.version, 1);
    assert.equal(version.document.name, 'greeting');
    assert.deepEqual(version.document.edges, greeting.edges);

    const got = await env.request('GET', `/api/v1/pipelines/${pipeline.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, pipeline);
    const v1 = await env.request('GET', `/api/v1/pipelines/${pipeline.id}/versions/1`);
    assert.deepEqual(v1.json, version);
  });

  test('saving pins every node without a version to its type\'s latest version, and keeps it after an upgrade', async () => {
    const withExplicit: Pipeline = { ...greeting, nodes: greeting.nodes.map((n) => (n.id === 'both' ? { ...n, version: 1 } : n)) };
    assert.ok(greeting.nodes.every((n) => n.version === undefined));
    const { pipeline, version } = await create(withExplicit);
    for (const node of version.document.nodes) assert.equal(node.version, env.deps.registry.get(node.type)!.version, node.id);
    assert.deepEqual(version.document.nodes.map((n: { id: string }) => n.id), greeting.nodes.map((n) => n.id));

    // A newer `join` is registered (an upgrade): the saved version keeps running join v1 ...
    const join = env.deps.registry.get('join')!;
    env.deps.registry.register({ ...join, version: join.version + 1 });
    const saved = await env.request('GET', `/api/v1/pipelines/${pipeline.id}/versions/1`);
    assert.equal(saved.json.document.nodes.find((n: { id: string }) => n.id === 'both').version, join.version);
    const exported = JSON.parse((await env.request('GET', `/api/v1/pipelines/${pipeline.id}/export`)).text);
    assert.equal(exported.nodes.find((n: { id: string }) => n.id === 'both').version, join.version);

    // ... while a new save of the unpinned document pins the new latest; an explicit version is kept.
    const updated = await env.request('PUT', `/api/v1/pipelines/${pipeline.id}`, { body: greeting });
    assert.equal(updated.json.version.document.nodes.find((n: { id: string }) => n.id === 'both').version, join.version + 1);
    const explicit = await env.request('PUT', `/api/v1/pipelines/${pipeline.id}`, { body: withExplicit });
    assert.equal(explicit.json.version.document.nodes.find((n: { id: string }) => n.id === 'both').version, 1);
  });

  test('the list pages with limit and cursor', async () => {
    const already = (await listAll()).length;
    for (let i = 0; i < 5; i++) await create(named(`paged ${i}`));
    const seen: string[] = [];
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { status, json } = await env.request('GET', `/api/v1/pipelines?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(status, 200);
      assert.ok(json.items.length <= 2);
      seen.push(...json.items.map((p: { name: string }) => p.name));
      ids.push(...json.items.map((p: { id: string }) => p.id));
      cursor = json.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    assert.equal(seen.length, already + 5);
    assert.equal(new Set(ids).size, ids.length, 'no pipeline twice');
    assert.deepEqual(seen.filter((n) => n.startsWith('paged')), ['paged 0', 'paged 1', 'paged 2', 'paged 3', 'paged 4']);
    assert.equal(pages, Math.ceil((already + 5) / 2));

    for (const query of ['cursor=not-a-cursor', 'limit=0', 'limit=201', 'limit=two']) {
      const { status, json } = await env.request('GET', `/api/v1/pipelines?${query}`);
      assert.equal(status, 400, query);
      assert.equal(json.error.code, 'REQUEST_INVALID', query);
    }
  });

  test('an update is a new version; earlier versions never change', async () => {
    const { pipeline } = await create(named('evolving'));
    const renamed = { ...named('evolved'), description: 'second' };
    const put = await env.request('PUT', `/api/v1/pipelines/${pipeline.id}`, { body: renamed });
    assert.equal(put.status, 200);
    assert.equal(put.json.pipeline.latestVersion, 2);
    assert.equal(put.json.pipeline.name, 'evolved');
    assert.equal(put.json.version.version, 2);

    const bad = await env.request('PUT', `/api/v1/pipelines/${pipeline.id}`, { body: invalid });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'UNKNOWN_NODE_TYPE');

    const versions = await env.request('GET', `/api/v1/pipelines/${pipeline.id}/versions`);
    assert.deepEqual(versions.json.items.map((v: { version: number }) => v.version), [1, 2]);
    assert.equal((await env.request('GET', `/api/v1/pipelines/${pipeline.id}/versions/1`)).json.document.name, 'evolving');
    assert.equal((await env.request('GET', `/api/v1/pipelines/${pipeline.id}/versions/2`)).json.document.description, 'second');
    const got = await env.request('GET', `/api/v1/pipelines/${pipeline.id}`);
    assert.equal(got.json.name, 'evolved');
    assert.equal(got.json.latestVersion, 2);
  });

  test('validate reports coded errors without saving anything', async () => {
    const count = (await listAll()).length;
    const ok = await env.request('POST', '/api/v1/pipelines/validate', { body: greeting });
    assert.deepEqual({ status: ok.status, json: ok.json }, { status: 200, json: { valid: true, errors: [] } });
    const bad = await env.request('POST', '/api/v1/pipelines/validate', { body: invalid });
    assert.equal(bad.status, 200);
    assert.equal(bad.json.valid, false);
    assert.deepEqual(bad.json.errors.map((e: { code: string }) => e.code).sort(), ['UNKNOWN_NODE_TYPE', 'UNKNOWN_PORT']);
    const notObject = await env.request('POST', '/api/v1/pipelines/validate', { body: [1, 2] });
    assert.equal(notObject.json.errors[0].code, 'SCHEMA_INVALID');
    assert.equal((await listAll()).length, count);
  });

  test('export gives the file as an attachment; import brings it back (JSON body or multipart)', async () => {
    const { pipeline, version } = await create({ ...named('Ward round: notes / "summary"'), $schema: 'https://tessera.dev/schemas/pipeline.v1.schema.json' });
    const exported = await env.request('GET', `/api/v1/pipelines/${pipeline.id}/export`);
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(exported.headers.get('content-disposition'), 'attachment; filename="ward-round-notes-summary.pipeline.json"');
    assert.deepEqual(JSON.parse(exported.text), version.document);

    const viaJson = await env.request('POST', '/api/v1/pipelines/import', { body: exported.text, headers: { 'content-type': 'application/json' } });
    assert.equal(viaJson.status, 201, viaJson.text);
    assert.notEqual(viaJson.json.pipeline.id, pipeline.id);
    assert.deepEqual(viaJson.json.version.document, version.document);

    const form = new FormData();
    form.append('file', new Blob([`\uFEFF${exported.text}`], { type: 'application/json' }), 'ward.pipeline.json');
    const viaForm = await env.request('POST', '/api/v1/pipelines/import', { body: form });
    assert.equal(viaForm.status, 201, viaForm.text);
    assert.deepEqual(viaForm.json.version.document, version.document);

    // An older version is exported on request.
    await env.request('PUT', `/api/v1/pipelines/${pipeline.id}`, { body: named('later') });
    assert.equal(JSON.parse((await env.request('GET', `/api/v1/pipelines/${pipeline.id}/export?version=1`)).text).name, 'Ward round: notes / "summary"');
    assert.equal(JSON.parse((await env.request('GET', `/api/v1/pipelines/${pipeline.id}/export`)).text).name, 'later');
  });

  test('import refuses bad files with coded 400s and saves nothing', async () => {
    const count = (await listAll()).length;
    const json = (body: string) => env.request('POST', '/api/v1/pipelines/import', { body, headers: { 'content-type': 'application/json' } });
    assert.equal((await json('{"format": "tessera.pipeline/v1",')).json.error.code, 'FILE_NOT_JSON');
    assert.equal((await json('')).json.error.code, 'FILE_UNREADABLE');
    assert.equal((await json('{"format": "tessera.pipeline/v2"}')).json.error.code, 'SCHEMA_INVALID');
    const invalidFile = await json(JSON.stringify(invalid));
    assert.equal(invalidFile.status, 400);
    assert.equal(invalidFile.json.error.details.errors.length, 2);

    const form = new FormData();
    form.append('file', new Blob(['not json at all']), 'x.pipeline.json');
    const badForm = await env.request('POST', '/api/v1/pipelines/import', { body: form });
    assert.equal(badForm.status, 400);
    assert.equal(badForm.json.error.code, 'FILE_NOT_JSON');
    const noFile = new FormData();
    noFile.append('name', 'x');
    assert.equal((await env.request('POST', '/api/v1/pipelines/import', { body: noFile })).json.error.code, 'FILE_UNREADABLE');
    const wrongType = await env.request('POST', '/api/v1/pipelines/import', { body: JSON.stringify(greeting), headers: { 'content-type': 'application/xml' } });
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.json.error.code, 'UNSUPPORTED_MEDIA');
    assert.equal((await listAll()).length, count);
  });

  test('delete answers 204, after which the pipeline and its versions are gone', async () => {
    const { pipeline } = await create(named('doomed'));
    const deleted = await env.request('DELETE', `/api/v1/pipelines/${pipeline.id}`);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    for (const route of [`/api/v1/pipelines/${pipeline.id}`, `/api/v1/pipelines/${pipeline.id}/versions`, `/api/v1/pipelines/${pipeline.id}/versions/1`]) {
      const { status, json } = await env.request('GET', route);
      assert.equal(status, 404, route);
      assert.equal(json.error.code, 'PIPELINE_NOT_FOUND', route);
    }
    assert.equal((await env.request('DELETE', `/api/v1/pipelines/${pipeline.id}`)).json.error.code, 'PIPELINE_NOT_FOUND');
    assert.ok(!(await listAll()).some((p: { id: string }) => p.id === pipeline.id));
  });

  test('unknown pipelines and versions answer coded 404s', async () => {
    const { pipeline } = await create(named('known'));
    const cases: [string, string, string, unknown?][] = [
      ['GET', '/api/v1/pipelines/pl_unknown', 'PIPELINE_NOT_FOUND'],
      ['PUT', '/api/v1/pipelines/pl_unknown', 'PIPELINE_NOT_FOUND', greeting],
      ['GET', '/api/v1/pipelines/pl_unknown/versions', 'PIPELINE_NOT_FOUND'],
      ['GET', '/api/v1/pipelines/pl_unknown/versions/1', 'PIPELINE_NOT_FOUND'],
      ['GET', '/api/v1/pipelines/pl_unknown/export', 'PIPELINE_NOT_FOUND'],
      ['GET', `/api/v1/pipelines/${pipeline.id}/versions/2`, 'VERSION_NOT_FOUND'],
      ['GET', `/api/v1/pipelines/${pipeline.id}/export?version=7`, 'VERSION_NOT_FOUND'],
    ];
    for (const [method, route, code, body] of cases) {
      const response = await env.request(method, route, { body });
      assert.equal(response.status, 404, `${method} ${route}`);
      assert.equal(response.json.error.code, code, `${method} ${route}`);
      assert.equal(typeof response.json.error.message, 'string');
    }
    const notNumber = await env.request('GET', `/api/v1/pipelines/${pipeline.id}/versions/latest`);
    assert.equal(notNumber.status, 400);
    assert.equal(notNumber.json.error.code, 'REQUEST_INVALID');
  });
});

describe('pipelines behind API keys', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv({ authRequired: true });
  });
  after(async () => env?.close());

  test('a request without a key is 401 UNAUTHORIZED; with a key it is answered', async () => {
    const anonymous = await env.request('GET', '/api/v1/pipelines');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.error.code, 'UNAUTHORIZED');
    assert.equal((await env.request('GET', '/api/v1/pipelines', { token: 'tsk_not-a-key' })).json.error.code, 'UNAUTHORIZED');

    const { secret } = await env.deps.store.createApiKey('t');
    const listed = await env.request('GET', '/api/v1/pipelines', { token: secret });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.json, { items: [] });
    assert.equal((await env.request('POST', '/api/v1/pipelines', { token: secret, body: greeting })).status, 201);
    // Uploads are behind the key too.
    assert.equal((await env.request('POST', '/api/v1/blobs', { body: 'x', headers: { 'content-type': 'text/plain' } })).status, 401);
  });
});

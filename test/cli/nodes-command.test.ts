/** `tessera nodes` marks optional inputs with "?", as the README's node table does. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tessera } from '../support/cli.ts';

test('tessera nodes marks optional ports with ?', async () => {
  const result = await tessera(['nodes']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^caption@1 .*\n {4}in: image:image, question\?:text {3}out: text:text$/m);
  assert.match(result.stdout, /^embed@1 .*\n {4}in: texts\?:text\[\], images\?:image\[\] /m);
});

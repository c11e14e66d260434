/**
 * The local-file rule on its own (engine/files/): the lexical check the API validates with, and the
 * worker's realpath check, on real folders and symbolic links in a temp folder. The same cases through
 * the real API and worker are in test/api/local-files*.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localFiles, NO_LOCAL_FILES } from '../../engine/files/local-files.ts';
import { checkPathText, filePolicy, NO_FILE_ROOTS } from '../../engine/files/policy.ts';
import { NodeError } from '../../engine/node-sdk/define-node.ts';
import { loadSettings } from '../../engine/config.ts';

let base: string;
let root: string;
let data: string;
let outside: string;

before(() => {
  base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'tessera-files-')));
  root = path.join(base, 'root');
  data = path.join(root, 'data'); // a data folder inside an allowed root: still refused
  outside = path.join(base, 'outside');
  for (const dir of [root, data, outside, path.join(root, 'sub')]) mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(root, 'ok.txt'), 'ok');
  writeFileSync(path.join(root, 'sub', 'deep.txt'), 'deep');
  writeFileSync(path.join(data, 'tessera.db'), 'secrets');
  writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'link-out.txt'));
  symlinkSync(outside, path.join(root, 'dir-out'));
  symlinkSync(data, path.join(root, 'sub', 'to-data'));
  symlinkSync(path.join(root, 'ok.txt'), path.join(root, 'link-in.txt'));
});
after(() => rmSync(base, { recursive: true, force: true }));

const policy = () => filePolicy([root], data);

async function refusal(work: Promise<unknown>): Promise<NodeError> {
  const err = await work.then(
    (v) => assert.fail(`expected a refusal, got ${String(v)}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof NodeError, `expected a NodeError, got ${String(err)}`);
  assert.equal(err.options.retryable, false);
  return err;
}

test('lexical check: paths under a root pass, relative ones resolve against the first root', () => {
  assert.deepEqual(checkPathText('ok.txt', policy()), { ok: true, path: path.join(root, 'ok.txt') });
  assert.deepEqual(checkPathText(path.join(root, 'sub', 'deep.txt'), policy()), { ok: true, path: path.join(root, 'sub', 'deep.txt') });
  assert.deepEqual(checkPathText('sub/../ok.txt', policy()), { ok: true, path: path.join(root, 'ok.txt') });
});

test('lexical check: .., absolute paths elsewhere, /proc, the data folder and NUL are refused', () => {
  for (const given of ['../../../etc/passwd', '..', '/etc/passwd', '/proc/self/environ', path.join(root, '..', 'outside', 'secret.txt'), 'data/tessera.db', path.join(data, 'tessera.db'), 'ok.txt\0.png']) {
    const check = checkPathText(given, policy());
    assert.equal(check.ok, false, `${JSON.stringify(given)} passed`);
  }
  // A root of "/" still never reaches /proc, /sys or /dev.
  for (const given of ['/proc/self/environ', '/sys/kernel', '/dev/mem']) assert.equal(checkPathText(given, filePolicy(['/'], data)).ok, false, given);
  assert.equal(checkPathText('/etc/hostname', filePolicy(['/'], data)).ok, true);
});

test('no roots: nothing passes, and the reason says how to allow folders', () => {
  const check = checkPathText('ok.txt', NO_FILE_ROOTS);
  assert.equal(check.ok, false);
  assert.match(!check.ok ? check.reason : '', /TESSERA_FILE_ROOTS/);
});

test('worker: files under a root load, links that stay inside too', async () => {
  const files = localFiles(policy(), 'api');
  assert.equal(await files.resolve('ok.txt'), path.join(root, 'ok.txt'));
  assert.equal(await files.resolve('link-in.txt'), path.join(root, 'ok.txt'));
  assert.equal(await files.resolve(path.join(root, 'sub', 'deep.txt')), path.join(root, 'sub', 'deep.txt'));
});

test('worker: symbolic links out of the root, or into the data folder, are refused without naming the target', async () => {
  for (const given of ['link-out.txt', 'dir-out/secret.txt', 'sub/to-data/tessera.db']) {
    const err = await refusal(localFiles(policy(), 'api').resolve(given));
    assert.equal(err.code, 'FILE_NOT_ALLOWED', given);
    assert.ok(err.message.includes(`"${given}"`), err.message);
    assert.ok(!err.message.includes(outside) && !err.message.includes(data), `the message names the target: ${err.message}`);
  }
});

test('worker: lexical refusals, missing files, and runs without an origin', async () => {
  for (const given of ['/proc/self/environ', '/etc/passwd', '../../../etc/passwd', 'data/tessera.db']) {
    assert.equal((await refusal(localFiles(policy(), 'api').resolve(given))).code, 'FILE_NOT_ALLOWED', given);
  }
  assert.equal((await refusal(localFiles(policy(), 'api').resolve('missing.txt'))).code, 'INPUT_FILE_NOT_FOUND');
  // Plans recorded before runs had an origin are not trusted with the disk.
  assert.equal((await refusal(localFiles(policy(), undefined).resolve('/etc/passwd'))).code, 'FILE_NOT_ALLOWED');
  assert.equal((await refusal(localFiles(undefined, 'api').resolve('ok.txt'))).code, 'FILE_NOT_ALLOWED');
  assert.equal((await refusal(NO_LOCAL_FILES.resolve('ok.txt'))).code, 'FILE_NOT_ALLOWED');
});

test('worker: the local CLI reads any path, relative to its working folder', async () => {
  const files = localFiles(NO_FILE_ROOTS, 'cli');
  assert.equal(await files.resolve(path.join(outside, 'secret.txt')), path.join(outside, 'secret.txt'));
  assert.equal(await files.resolve('x.txt'), path.resolve('x.txt'));
});

test('TESSERA_FILE_ROOTS is a PATH-style list; --file-root flags replace it', () => {
  const env = { TESSERA_FILE_ROOTS: ['/srv/in', '', 'relative/dir'].join(path.delimiter) };
  assert.deepEqual(loadSettings({}, env).fileRoots, ['/srv/in', path.resolve('relative/dir')]);
  assert.deepEqual(loadSettings({ fileRoots: ['/only'] }, env).fileRoots, ['/only']);
  assert.deepEqual(loadSettings({}, {}).fileRoots, []);
});

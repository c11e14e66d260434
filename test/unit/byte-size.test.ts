/** Upload sizes with units: `--max-upload 1MB` once parsed to NaN (no limit for raw uploads, every multipart upload refused). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseByteSize } from '../../engine/byte-size.ts';
import { maxUploadBytes } from '../../engine/config.ts';
import { TesseraError } from '../../engine/errors.ts';

test('sizes: plain bytes, and 1024-based units in either spelling', () => {
  assert.equal(parseByteSize('1048576', '--max-upload'), 1048576);
  assert.equal(parseByteSize('1MB', '--max-upload'), 1024 * 1024);
  assert.equal(parseByteSize('1 mb', '--max-upload'), 1024 * 1024);
  assert.equal(parseByteSize('1MiB', '--max-upload'), 1024 * 1024);
  assert.equal(parseByteSize('500KB', '--max-upload'), 500 * 1024);
  assert.equal(parseByteSize('500kib', '--max-upload'), 500 * 1024);
  assert.equal(parseByteSize('1.5GB', '--max-upload'), 1.5 * 1024 ** 3);
  assert.equal(parseByteSize('2TiB', '--max-upload'), 2 * 1024 ** 4);
  assert.equal(parseByteSize('12B', '--max-upload'), 12);
});

test('sizes: anything else is a USAGE error naming the flag or variable', () => {
  for (const bad of ['lots', '', '0', '-1', '1e3', '12abc', '1XB', '1 M', '0.1B', 'NaN', 'Infinity']) {
    assert.throws(
      () => parseByteSize(bad, 'TESSERA_MAX_UPLOAD_BYTES'),
      (err: unknown) => err instanceof TesseraError && err.code === 'USAGE' && err.message.includes('TESSERA_MAX_UPLOAD_BYTES') && err.message.includes(`"${bad}"`),
      bad,
    );
  }
});

test('the upload limit: the flag, else the variable, else 1 GiB', () => {
  assert.equal(maxUploadBytes('1MB', { TESSERA_MAX_UPLOAD_BYTES: '5MB' }), 1024 * 1024);
  assert.equal(maxUploadBytes(undefined, { TESSERA_MAX_UPLOAD_BYTES: '5MB' }), 5 * 1024 * 1024);
  assert.equal(maxUploadBytes(undefined, {}), 1024 ** 3);
  assert.throws(() => maxUploadBytes(undefined, { TESSERA_MAX_UPLOAD_BYTES: 'lots' }), /TESSERA_MAX_UPLOAD_BYTES must be a size/);
  assert.throws(() => maxUploadBytes('lots', {}), /--max-upload must be a size/);
});

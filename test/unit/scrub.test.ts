/** Error messages lose the worker's private folders and memory addresses (engine/files/scrub.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scrubMessage } from '../../engine/files/scrub.ts';

const folders = ['/tmp', '/srv/tessera-data'];

test('a path under a private folder keeps only its last segment; the folder itself becomes a label', () => {
  assert.equal(scrubMessage('/tmp/tessera-media-Ab12/input.wav: Invalid data found when processing input', folders), 'input.wav: Invalid data found when processing input');
  assert.equal(scrubMessage("EISDIR: illegal operation on a directory, open '/tmp'", folders), "EISDIR: illegal operation on a directory, open '<worker folder>'");
  assert.equal(scrubMessage('ENOENT: no such file, open "/srv/tessera-data/blobs/ab/abcdef"', folders), 'ENOENT: no such file, open "abcdef"');
});

test('other paths, and folders that merely share a prefix, are left alone', () => {
  assert.equal(scrubMessage('File "/proc/self/environ" is outside the allowed folders', folders), 'File "/proc/self/environ" is outside the allowed folders');
  assert.equal(scrubMessage('/tmpfiles/a.txt is fine', folders), '/tmpfiles/a.txt is fine');
  assert.equal(scrubMessage('/etc/passwd', ['/']), '/etc/passwd', 'a root folder is never a private folder');
});

test('memory addresses are removed', () => {
  assert.equal(scrubMessage('[mp3 @ 0x5581cd2c1e40] Header missing', folders), '[mp3] Header missing');
  assert.equal(scrubMessage('object at 0x7ffd5e8a9b10 failed', folders), 'object at 0x… failed');
  assert.equal(scrubMessage('exit code 0x1f', folders), 'exit code 0x1f');
});

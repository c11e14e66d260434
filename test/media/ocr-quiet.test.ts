/**
 * Offline OCR keeps tesseract quiet (issue 14 item 15): an image without a usable resolution made
 * tesseract print "Warning: Invalid resolution 25 dpi. Using 70 instead." on stderr, straight into the
 * CLI's progress display. Run in a child process, since tesseract's worker writes to the process's stderr.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../support/cli.ts';


test('local OCR of an image with no usable resolution prints nothing on stderr and still reads it', async () => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/support/ocr-quiet-child.ts'], { cwd: ROOT, timeout: 120_000 });
  assert.equal(JSON.parse(stdout), 'Hello 123');
  assert.doesNotMatch(stderr, /Invalid resolution/);
  assert.equal(stderr.trim(), '', 'nothing at all on stderr');
});

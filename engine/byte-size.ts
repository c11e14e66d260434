/**
 * Sizes given by people (`--max-upload 1MB`, `TESSERA_MAX_UPLOAD_BYTES=500KiB`): a whole or decimal number,
 * optionally followed by a unit. Units are binary, as the `bytes` package reads them: KB = KiB = 1024,
 * MB = MiB = 1024², GB, TB, PB likewise; no unit (or B) means bytes. Anything else is refused with a
 * USAGE error naming where the value came from: a size that silently parsed to NaN once turned the upload
 * limit off for raw uploads and broke every multipart upload.
 */
import bytes from 'bytes';
import { TesseraError } from './errors.ts';

// Checked here, not by `bytes` alone: it falls back to parseInt, which reads "12abc" as 12 bytes.
const SIZE = /^(\d+(?:\.\d+)?)\s*(?:(b)|([kmgtp])i?b)?$/i;

/** The size in bytes (a positive whole number); `source` names the flag or variable for the error. */
export function parseByteSize(value: string, source: string): number {
  const match = SIZE.exec(value.trim());
  // KiB and KB mean the same to Tessera; `bytes` knows only the second spelling.
  const size = match ? bytes.parse(`${match[1]}${match[3] ? `${match[3]}b` : 'b'}`) : null;
  if (size === null || !Number.isSafeInteger(size) || size <= 0) {
    throw new TesseraError(
      'USAGE',
      `${source} must be a size such as 1048576, 500KB, 1MB, 1.5GiB (units are 1024-based); got "${value}".`,
      { details: { option: source, value } },
    );
  }
  return size;
}

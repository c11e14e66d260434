/**
 * HTTP Range requests (RFC 9110 section 14) for one range of bytes. A header we do not understand, or
 * one asking for several ranges, is ignored and the whole body is sent, as the RFC allows.
 */
export type RangeResult = { kind: 'none' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeResult {
  const match = header ? /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'none' };
  if (match[1] === '') {
    // Suffix range: the last N bytes.
    const length = Number(match[2]);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return { kind: 'none' }; // invalid: ignore
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end };
}

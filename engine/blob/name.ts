/**
 * Blob names are display names chosen by clients (an upload's file name, a run input's `name`). They
 * are shown and offered as download names, and must never become paths: keep the last segment only,
 * without control characters, and drop "." and ".." altogether.
 */
export function cleanBlobName(name: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex
  const base = name?.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return base && base !== '.' && base !== '..' ? base : undefined;
}

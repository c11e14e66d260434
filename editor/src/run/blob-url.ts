/**
 * Media of a run shown in the page: the blob is downloaded with the session's key (an <img src> could not
 * send it) and shown from an object URL, cached by content hash for the page's life.
 */
import { api } from '../session.ts';

const urls = new Map<string, Promise<string>>();

export function blobUrl(sha256: string): Promise<string> {
  let url = urls.get(sha256);
  if (!url) {
    url = api()
      .downloadBlob(sha256)
      .then((stream) => new Response(stream).blob())
      .then((blob) => URL.createObjectURL(blob));
    url.catch(() => urls.delete(sha256));
    urls.set(sha256, url);
  }
  return url;
}

/** A large value (a `$spilled` marker) read back as the JSON it stands for. */
export async function spilledValue(sha256: string): Promise<unknown> {
  const text = await new Response(await api().downloadBlob(sha256)).text();
  return JSON.parse(text) as unknown;
}

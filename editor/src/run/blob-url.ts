/**
 * Media of a run shown in the page: the blob is downloaded with the session's key (an <img src> could not
 * send it) and shown from an object URL, cached by content hash for the page's life.
 */
import { ApiClientError } from '../../../engine/api/client/client.ts';
import { api, authHeaders } from '../session.ts';

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

/** A page of a PDF blob as an image (rendered by the API), and how many pages the document has. */
export async function pagePreview(sha256: string, page: number): Promise<{ url: string; pages: number }> {
  const response = await fetch(`/api/v1/blobs/${sha256}/pages/${page}`, { headers: authHeaders() });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    throw new ApiClientError(response.status, body.error?.code ?? `HTTP_${response.status}`, body.error?.message ?? response.statusText);
  }
  return { url: URL.createObjectURL(await response.blob()), pages: Number(response.headers.get('x-page-count') ?? '1') };
}

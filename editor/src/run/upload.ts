/**
 * Uploads a file to the blob store with progress: XMLHttpRequest, because fetch reports no upload
 * progress. The File is sent as the raw body, which the browser streams from disk (nothing is read whole
 * into memory); `kind` makes the API refuse bytes that are not an image, audio or a document (415).
 */
import type { BlobRef } from '../../../engine/blob/ref.ts';
import { ApiClientError } from '../../../engine/api/client/client.ts';
import { authHeaders } from '../session.ts';

export interface Upload {
  done: Promise<BlobRef>;
  abort(): void;
}

export function uploadFile(file: Blob & { name?: string }, kind: 'image' | 'audio' | 'document', onProgress: (fraction: number) => void): Upload {
  const xhr = new XMLHttpRequest();
  const query = new URLSearchParams({ kind, ...(file.name ? { name: file.name } : {}) });
  const done = new Promise<BlobRef>((resolve, reject) => {
    xhr.open('POST', `/api/v1/blobs?${query}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body: { error?: { code: string; message: string; details?: unknown } } & Partial<BlobRef> = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // Not JSON (a proxy's page): reported by status below.
      }
      if (xhr.status === 201) {
        onProgress(1);
        resolve(body as BlobRef);
      } else reject(new ApiClientError(xhr.status, body.error?.code ?? `HTTP_${xhr.status}`, body.error?.message ?? xhr.statusText, body.error?.details));
    };
    xhr.onerror = () => reject(new ApiClientError(0, 'SERVER_UNREACHABLE', 'The upload could not reach the Tessera API.'));
    xhr.onabort = () => reject(new ApiClientError(0, 'UPLOAD_CANCELLED', 'The upload was cancelled.'));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

/**
 * The `local` provider's OCR: tesseract.js (WASM) with the English LSTM model from the npm package
 * @tesseract.js-data/eng, so it works offline and costs nothing. Loading the model takes a second or
 * two, so one tesseract worker is kept per process, created on first use, fed one image at a time, and
 * terminated after a quiet spell (or by `terminateLocalOcr`) so an idle process can exit.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Worker } from 'tesseract.js';
import { NodeError } from '../node-sdk/define-node.ts';
import type { OcrCapability, OcrRequest, OcrResult, Provider } from '../providers/types.ts';
import { mediaError, reason } from './errors.ts';
import { decodeFailure, inspectImage } from './image.ts';
import { loadSharp } from './sharp.ts';

export const LOCAL_OCR_MODEL = 'tesseract-lstm-eng';
const DEFAULT_IDLE_MS = 60_000;

/**
 * The package ships 4.0.0 (legacy + LSTM, 11 MB) and 4.0.0_best_int (LSTM only, 3 MB, what tesseract.js
 * itself downloads for LSTM-only workers): the LSTM-only engine needs only the second. Both are gzipped.
 */
export function englishDataPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
}

export class LocalOcr implements OcrCapability {
  #worker: Promise<Worker> | undefined;
  /** tesseract runs one job at a time; queueing here keeps abort handling per job simple. */
  #queue: Promise<unknown> = Promise.resolve();
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: { idleMs?: number } = {}) {}

  recognize(request: OcrRequest): Promise<OcrResult> {
    const job = this.#queue.then(() => this.#run(request));
    this.#queue = job.catch(() => undefined);
    return job;
  }

  /** Ends the tesseract worker; the next call starts a new one. */
  async terminate(): Promise<void> {
    clearTimeout(this.#idleTimer);
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.then((w) => w.terminate()).catch(() => undefined);
  }

  async #run(request: OcrRequest): Promise<OcrResult> {
    clearTimeout(this.#idleTimer);
    try {
      checkLanguage(request.language);
      if (request.signal?.aborted) throw aborted();
      const image = await normalise(request.image.data);
      const worker = await this.#getWorker();
      const { data } = await abortable(() => worker.recognize(image), request.signal, () => this.terminate());
      return {
        text: data.text.trim(),
        confidence: data.confidence,
        usage: { provider: 'local', model: LOCAL_OCR_MODEL, images: 1, costUsd: 0 },
      };
    } finally {
      this.#idleTimer = setTimeout(() => void this.terminate(), this.options.idleMs ?? DEFAULT_IDLE_MS);
      this.#idleTimer.unref();
    }
  }

  #getWorker(): Promise<Worker> {
    // tesseract.js is loaded with the first recognition: a worker that never reads an image does not load it.
    this.#worker ??= import('tesseract.js').then(({ createWorker, OEM }) => createWorker('eng', OEM.LSTM_ONLY, {
      langPath: englishDataPath(),
      gzip: true,
      // 'none': read the model from the package every time, never write a cache file into the working folder.
      cacheMethod: 'none',
    })).catch((err: unknown) => {
      this.#worker = undefined;
      throw mediaError('MEDIA_TOOL_MISSING', `Local OCR could not start; is the npm package @tesseract.js-data/eng installed? (${reason(err)})`);
    });
    return this.#worker;
  }
}

/** Below this, tesseract calls an image's resolution invalid, warns on stderr and uses this instead. */
const TESSERACT_FALLBACK_DPI = 70;

/**
 * Tesseract reads PNG reliably across inputs; transparency becomes white (not black) and EXIF rotation is
 * applied. The PNG carries the image's resolution, or tesseract's own fallback when it has none or one
 * tesseract would refuse: the same recognition, without its "Invalid resolution" warning on stderr.
 */
async function normalise(bytes: Buffer): Promise<Buffer> {
  const info = await inspectImage(bytes);
  const sharp = await loadSharp();
  try {
    const density = Math.max(TESSERACT_FALLBACK_DPI, (await sharp(bytes).metadata()).density ?? 0);
    return await sharp(bytes, { autoOrient: true }).flatten({ background: '#ffffff' }).greyscale().withMetadata({ density, orientation: 1 }).png().toBuffer();
  } catch (err) {
    throw decodeFailure(info.mime, err);
  }
}

function checkLanguage(language: string | undefined): void {
  if (language === undefined || ['eng', 'en', 'english'].includes(language.toLowerCase())) return;
  throw new NodeError('CAPABILITY_UNSUPPORTED', `Local OCR has English data only; language "${language}" is not available.`, {
    retryable: false,
  });
}

/** Tesseract cannot stop a job midway: on abort the worker is terminated (and recreated on the next call). */
function abortable<T>(start: () => Promise<T>, signal: AbortSignal | undefined, onAbort: () => Promise<void>): Promise<T> {
  if (!signal) return start();
  // Aborted while the image was prepared or the worker started: do not start the job.
  if (signal.aborted) return Promise.reject(aborted());
  const work = start();
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      void onAbort();
      reject(aborted());
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

function aborted(): NodeError {
  return new NodeError('PROVIDER_ABORTED', 'local (ocr): the call was aborted.', { retryable: true });
}

/** One worker per process: every `local` provider shares it. */
export const localOcr = new LocalOcr();

export function terminateLocalOcr(): Promise<void> {
  return localOcr.terminate();
}

/** The `local` provider: offline capabilities that need no key. */
export function createLocalProvider(ocr: OcrCapability = localOcr): Provider {
  return { name: 'local', ocr };
}

/**
 * Media failures are about the input, not the moment: retrying cannot fix a corrupt file or a missing
 * tool, so every error here is a non-retryable NodeError with a code the user can look up.
 */
import { NodeError } from '../node-sdk/define-node.ts';

export const MEDIA_ERROR_CODES = ['MEDIA_UNSUPPORTED', 'MEDIA_CORRUPT', 'MEDIA_TOO_LARGE', 'MEDIA_TOOL_MISSING'] as const;
export type MediaErrorCode = (typeof MEDIA_ERROR_CODES)[number];

export function mediaError(code: MediaErrorCode, message: string, details?: unknown): NodeError {
  return new NodeError(code, message, { retryable: false, ...(details === undefined ? {} : { details }) });
}

export function isMediaError(err: unknown): err is NodeError {
  return err instanceof NodeError && (MEDIA_ERROR_CODES as readonly string[]).includes(err.code);
}

/** Turns the message of a thrown value into one line for error details. */
export function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim();
}

/**
 * Why starting a workflow failed, as a coded error. Only a server that cannot be reached is
 * TEMPORAL_UNREACHABLE; a request Temporal refuses as too large is the request's fault (413), and anything
 * else Temporal refuses is an internal error, not an outage.
 */
import { isGrpcServiceError } from '@temporalio/client';
import { TesseraError } from '../errors.ts';

// gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
const CANCELLED = 1;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
const INVALID_ARGUMENT = 3;
const UNAVAILABLE = 14;

/** "Blob data size exceeds limit" (Temporal's payload limit), "received message larger than max" (gRPC's). */
const TOO_LARGE = /size exceeds limit|larger than max|message too large|exceeds.*size/i;

export function startError(err: unknown): TesseraError {
  const first = ((err as Error)?.message ?? String(err)).split('\n')[0];
  const grpc = isGrpcServiceError(err) ? err : isGrpcServiceError((err as { cause?: unknown })?.cause) ? ((err as { cause: unknown }).cause as { code?: number; details?: string }) : undefined;
  const code = (grpc as { code?: number } | undefined)?.code;
  const detail = (grpc as { details?: string } | undefined)?.details ?? first;
  if ((code === INVALID_ARGUMENT || code === RESOURCE_EXHAUSTED) && TOO_LARGE.test(detail)) {
    return new TesseraError('RUN_TOO_LARGE', `Temporal refused to start the run as too large: ${detail}`, { cause: err });
  }
  if (code === undefined || code === UNAVAILABLE || code === DEADLINE_EXCEEDED || code === CANCELLED) {
    return new TesseraError('TEMPORAL_UNREACHABLE', `The run could not be started: ${first}`, { cause: err });
  }
  return new TesseraError('INTERNAL', `Temporal refused to start the run: ${detail}`, { cause: err });
}

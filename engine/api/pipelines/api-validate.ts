/**
 * Pipelines that arrive through the API (saves, imports, validation, and every run, webhook and schedule
 * of a saved version) are validated with the server's local-file policy: without configured roots, a
 * node that reads the worker's disk is refused. One function, so no entry point can forget it.
 */
import { NO_FILE_ROOTS } from '../../files/policy.ts';
import type { ValidateOptions } from '../../pipeline/validate.ts';
import type { ApiDeps } from '../deps.ts';

export function apiValidateOptions(deps: Pick<ApiDeps, 'localFiles'>): ValidateOptions {
  return { localFiles: deps.localFiles ?? NO_FILE_ROOTS };
}

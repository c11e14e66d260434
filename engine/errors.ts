/**
 * The catalogue of error codes. Every coded error Tessera reports (validation, CLI, later the API)
 * uses a code from here; `docs/errors.md` documents each one and a test keeps the two in step.
 */
export const ERROR_CODES = {
  FILE_UNREADABLE: { status: 400, message: 'The pipeline file cannot be read.' },
  FILE_NOT_JSON: { status: 400, message: 'The pipeline file is not valid JSON.' },
  SCHEMA_INVALID: { status: 400, message: 'The pipeline file does not match the tessera.pipeline/v1 schema.' },
  DUPLICATE_NODE_ID: { status: 400, message: 'Two nodes share an id.' },
  DUPLICATE_INPUT_NAME: { status: 400, message: 'Two input nodes share a name.' },
  DUPLICATE_OUTPUT_NAME: { status: 400, message: 'Two output nodes share a name.' },
  UNKNOWN_NODE_TYPE: { status: 400, message: 'No node definition has this type.' },
  UNKNOWN_NODE_VERSION: { status: 400, message: 'The node type exists, but not in this version.' },
  UNKNOWN_NODE: { status: 400, message: 'An edge names a node that does not exist.' },
  PIN_INVALID: { status: 400, message: 'A node\'s pinned outputs do not fit its output ports, or the node cannot be pinned.' },
  SUB_PIPELINE_NOT_FOUND: { status: 400, message: 'A `pipeline` node names a saved pipeline (or version) that does not exist.' },
  UNKNOWN_PORT: { status: 400, message: 'An edge names a port the node does not have.' },
  BAD_EDGE_ENDPOINT: { status: 400, message: 'An edge endpoint is not of the form "node.port".' },
  INCOMPATIBLE_PORTS: { status: 400, message: 'The output kind cannot feed the input kind.' },
  INPUT_ALREADY_CONNECTED: { status: 400, message: 'A single-valued input has more than one incoming edge.' },
  REQUIRED_INPUT_MISSING: { status: 400, message: 'A required input of a node is not connected.' },
  CYCLE: { status: 400, message: 'The edges form a cycle.' },
  PARAMS_INVALID: { status: 400, message: 'A node\'s params do not match its params schema.' },
  MAP_INVALID: { status: 400, message: 'A node is mapped over a port it cannot run once per item of.' },
  PIPELINE_CYCLE: { status: 400, message: 'Sub-pipelines run each other in a cycle.' },
  SUB_PIPELINE_INVALID: { status: 400, message: 'The saved pipeline version a sub-pipeline node runs is not valid.' },
  OPTIONS_INVALID: { status: 400, message: 'A node\'s execution options are invalid.' },
  RUN_INPUT_MISSING: { status: 400, message: 'A required pipeline input was not given.' },
  RUN_INPUT_UNKNOWN: { status: 400, message: 'A value was given for an input the pipeline does not have.' },
  RUN_INPUT_INVALID: { status: 400, message: 'A pipeline input value has the wrong type.' },
  INPUT_FILE_NOT_FOUND: { status: 400, message: 'A file given as an input cannot be read.' },
  BLOB_NOT_FOUND: { status: 404, message: 'No blob has this hash.' },
  BLOB_URL_INVALID: { status: 500, message: 'TESSERA_BLOB_URL is not of the form s3://bucket/prefix.' },
  BLOB_STORE_UNAVAILABLE: { status: 503, message: 'The S3 bucket of TESSERA_BLOB_URL cannot be reached, does not exist, or refuses these credentials.' },
  NODE_FAILED: { status: 500, message: 'A node failed while running; the run stopped.' },
  BUDGET_EXCEEDED: { status: 402, message: 'A provider call would have taken the run over its cost budget; it was not made and the run stopped.' },
  NODE_INPUT_INVALID: { status: 400, message: 'A node received an input it cannot use.' },
  NODE_NOT_ALLOWED: { status: 400, message: 'The node reads the worker\'s disk, which pipelines sent through the API may not do on this server.' },
  FILE_NOT_ALLOWED: { status: 400, message: 'The file is outside the folders runs may read (TESSERA_FILE_ROOTS), or inside the data folder or a system folder.' },
  RUN_CANCELLED: { status: 409, message: 'The run was cancelled.' },
  RUN_TIMED_OUT: { status: 504, message: 'The run did not finish in time.' },
  TEMPORAL_UNREACHABLE: { status: 503, message: 'The Temporal server cannot be reached.' },
  SERVER_UNREACHABLE: { status: 503, message: 'The Tessera API server cannot be reached.' },
  TEMPORAL_BINARY_NOT_FOUND: { status: 500, message: 'The temporal CLI binary needed for the embedded server was not found.' },
  TEMPORAL_START_FAILED: { status: 500, message: 'The embedded Temporal server did not start.' },
  TEMPORAL_PORT_IN_USE: { status: 500, message: 'The embedded Temporal server\'s port is taken by something that is not Temporal.' },
  API_PORT_IN_USE: { status: 500, message: 'The API\'s port is already in use.' },
  PROVIDERS_CONFIG_INVALID: { status: 500, message: 'The providers file (TESSERA_PROVIDERS_FILE) cannot be used.' },
  PLUGIN_LOAD_FAILED: { status: 400, message: 'A node plugin module could not be loaded.' },
  DUPLICATE_NODE_DEFINITION: { status: 500, message: 'A node type and version is registered twice.' },
  USAGE: { status: 400, message: 'The command line is not valid.' },
  REQUEST_INVALID: { status: 400, message: 'The request body, query or parameters do not match the endpoint\'s schema.' },
  UNAUTHORIZED: { status: 401, message: 'A valid API key is required (Authorization: Bearer <key>).' },
  SIGNATURE_INVALID: { status: 401, message: 'The webhook signature or timestamp is missing, or the signature does not match.' },
  SIGNATURE_EXPIRED: { status: 401, message: 'The webhook call\'s timestamp is outside the 5-minute window.' },
  SIGNATURE_REPLAYED: { status: 401, message: 'This signed webhook call was already received.' },
  WEBHOOK_RATE_LIMITED: { status: 429, message: 'Too many signed webhook calls inside the replay window; retry later.' },
  SECRET_KEY_INVALID: { status: 500, message: 'The key that encrypts stored secrets is malformed, or does not open them.' },
  DATABASE_URL_INVALID: { status: 500, message: 'TESSERA_DATABASE_URL is not a postgres:// connection URL.' },
  DATABASE_UNREACHABLE: { status: 503, message: 'The PostgreSQL server of TESSERA_DATABASE_URL cannot be reached, or refuses the connection.' },
  STORE_SCHEMA_NEWER: { status: 500, message: 'The store database was migrated by a newer Tessera than this one.' },
  VECTOR_EXTENSION_MISSING: { status: 500, message: 'The pgvector extension is not installed in the PostgreSQL database, and cannot be created by this user.' },
  NOT_FOUND: { status: 404, message: 'No such endpoint.' },
  PIPELINE_NOT_FOUND: { status: 404, message: 'No pipeline has this id.' },
  VERSION_NOT_FOUND: { status: 404, message: 'The pipeline has no such version.' },
  RUN_NOT_FOUND: { status: 404, message: 'No run has this id.' },
  SCHEDULE_NOT_FOUND: { status: 404, message: 'No schedule has this id.' },
  WEBHOOK_NOT_FOUND: { status: 404, message: 'No active webhook has this token or id.' },
  API_KEY_NOT_FOUND: { status: 404, message: 'No API key has this id or prefix.' },
  RUN_NODE_NOT_FOUND: { status: 404, message: 'The run\'s pipeline version has no node with this id.' },
  NODE_OUTPUTS_NOT_READY: { status: 409, message: 'The node has not succeeded (yet), so it has no outputs.' },
  NODE_OUTPUTS_UNAVAILABLE: { status: 503, message: 'The node\'s outputs were not recorded and no worker could answer for its workflow; retry when a worker is up.' },
  RUN_NOT_FINISHED: { status: 409, message: 'The run has not finished yet.' },
  RUN_ALREADY_FINISHED: { status: 409, message: 'The run has already finished.' },
  NODE_NOT_WAITING: { status: 409, message: 'The node is not an approval waiting for a decision.' },
  APPROVAL_VALUE_INVALID: { status: 400, message: 'The edited value does not fit the approval node\'s kind, or a rejection was sent with a value.' },
  RUN_NOT_RESPONDING: { status: 503, message: 'No worker took the request for the run\'s workflow in time.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The upload is larger than the configured limit.' },
  PIPELINE_TOO_LARGE: { status: 413, message: 'A node\'s params, or the whole pipeline, are larger than a run can carry.' },
  RUN_TOO_LARGE: { status: 413, message: 'The run\'s inputs are more than one workflow can carry, even with large values stored as blobs.' },
  UNSUPPORTED_MEDIA: { status: 415, message: 'The media type of the upload or request is not supported.' },
  SCHEDULE_INVALID: { status: 400, message: 'The schedule specification (cron expression, interval, timezone) is invalid.' },
  HOST_NOT_ALLOWED: { status: 403, message: 'Without API keys the server answers only loopback Host names.' },
  CROSS_SITE_REFUSED: { status: 403, message: 'A state-changing request from another web site was refused.' },
  JSON_TOO_DEEP: { status: 400, message: 'A JSON body or field is nested too deeply.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request (or its body) did not arrive in time.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'The path exists, but not with this HTTP method.' },
  INTERNAL: { status: 500, message: 'An unexpected error; the server log has the details.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The shape of every reported error: in CLI output, in API responses, in validation results. */
export interface CodedError {
  code: ErrorCode;
  message: string;
  nodeId?: string;
  port?: string;
  details?: unknown;
}

/** An exception carrying a coded error, for failures outside validation (files, servers, binaries). */
export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly nodeId?: string;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, extra: { nodeId?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: extra.cause });
    this.name = 'TesseraError';
    this.code = code;
    this.nodeId = extra.nodeId;
    this.details = extra.details;
  }

  toJSON(): CodedError {
    return { code: this.code, message: this.message, nodeId: this.nodeId, details: this.details };
  }
}

export function codedError(code: ErrorCode, message: string, extra: Omit<CodedError, 'code' | 'message'> = {}): CodedError {
  return { code, message, ...extra };
}

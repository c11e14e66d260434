import type { CodedError } from '../errors.ts';

/** One line per error: CODE [node "x" port "y"] message. */
export function formatError(error: CodedError): string {
  const where = [error.nodeId ? `node "${error.nodeId}"` : '', error.port ? `port "${error.port}"` : ''].filter(Boolean).join(' ');
  return `${error.code}${where ? ` [${where}]` : ''}: ${error.message}${nodeDetails(error)}`;
}

/** What a failing node said beyond its message (NodeError details), kept on the same line. */
function nodeDetails(error: CodedError): string {
  const details = (error.details as { details?: unknown } | undefined)?.details;
  return error.code === 'NODE_FAILED' && details !== undefined ? ` (details: ${JSON.stringify(details)})` : '';
}

export function printErrors(errors: CodedError[]): void {
  for (const error of errors) process.stderr.write(`error ${formatError(error)}\n`);
}

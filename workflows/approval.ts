/** Approval nodes: the decisions the workflow's `decideApproval` update accepts (refusals are ApplicationFailures typed by code). */
import { ApplicationFailure } from '@temporalio/workflow';
import type { ApprovalDecision } from './contract.ts';

const refuse = (type: 'NODE_NOT_WAITING' | 'APPROVAL_VALUE_INVALID', message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/** Why an edited value does not fit the approval node's kind; undefined when it fits. */
export function editedValueProblem(kind: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const list = kind.endsWith('[]');
  const item = list ? kind.slice(0, -2) : kind;
  if (list && !Array.isArray(value)) return `a ${kind} value is a list`;
  const items = list ? (value as unknown[]) : [value];
  for (const one of items) {
    if (item === 'text' && typeof one !== 'string') return `a ${kind} value is ${list ? 'a list of strings' : 'a string'}`;
    if (['image', 'audio', 'document'].includes(item) && typeof (one as { sha256?: unknown })?.sha256 !== 'string') {
      return `a ${kind} value is ${list ? 'a list of blob references' : 'a blob reference'} ({ sha256, mime, size }): upload the file first`;
    }
    if (item === 'embedding' && !Array.isArray((one as { vector?: unknown })?.vector)) return `a ${kind} value is { model, vector }`;
  }
  return undefined;
}

/** Checks a decision against the nodes that wait; throws (refusing the update) with a coded message when it does not apply. */
export function checkDecision(decision: ApprovalDecision, waiting: ReadonlyMap<string, { kind: string }>): void {
  const node = waiting.get(decision?.nodeId);
  if (!node) throw refuse('NODE_NOT_WAITING', `Node "${decision?.nodeId}" is not an approval waiting for a decision.`);
  if (!decision.approve && decision.value !== undefined) throw refuse('APPROVAL_VALUE_INVALID', 'A rejection takes no value.');
  const problem = editedValueProblem(node.kind, decision.value);
  if (problem) throw refuse('APPROVAL_VALUE_INVALID', `The edited value does not fit node "${decision.nodeId}": ${problem}.`);
}

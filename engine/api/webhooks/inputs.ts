/**
 * What a webhook's JSON body says the run's inputs are: the body's keys are input names, or the body is
 * `{ "inputs": { ... } }`. (A multipart body is read like the form of POST /runs: run-form.ts.) Checking
 * the values against the pipeline is left to startPipelineRun, so every path reports the same coded errors.
 */
import type { InputSpec } from '../../run/inputs.ts';
import { apiError } from '../errors.ts';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function inputsFromJson(body: unknown, specs: InputSpec[]): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (!isPlainObject(body)) {
    throw apiError('REQUEST_INVALID', 'A webhook JSON body must be an object: input values by name, or { "inputs": { ... } }.');
  }
  // `{ inputs: {...} }` unwraps, unless the pipeline really has an input named "inputs".
  const wrapped = Object.hasOwn(body, 'inputs') && isPlainObject(body.inputs) && !specs.some((s) => s.name === 'inputs');
  return wrapped ? (body.inputs as Record<string, unknown>) : body;
}

// Entry point of the workflow bundle: every workflow type the worker registers.
export { runPipeline, nodeStatusQuery } from './run-pipeline.ts';

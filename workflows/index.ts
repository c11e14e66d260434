// Entry point of the workflow bundle: every workflow type the worker registers.
export { runPipeline } from './run-pipeline.ts';
export { runMapBatch } from './map-batch.ts';
export { nodeStatusQuery } from './contract.ts';

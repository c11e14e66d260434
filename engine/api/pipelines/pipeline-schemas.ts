/** Request and response schemas of the /pipelines endpoints (the OpenAPI document is generated from them). */
import { z } from 'zod';
import { PipelineSchema, pipelineJsonSchema } from '../../pipeline/schema.ts';

/**
 * A pipeline document in a request. Validation accepts anything here on purpose: the handler validates it
 * with validatePipeline, which reports coded errors per node and port (SCHEMA_INVALID, UNKNOWN_NODE_TYPE,
 * ...) where a schema failure would give a bare REQUEST_INVALID. The OpenAPI document still shows the
 * tessera.pipeline/v1 JSON Schema.
 */
const { $id: _id, $schema: _schema, ...documentJsonSchema } = pipelineJsonSchema();
export const PipelineDocumentBody = z.unknown().meta(documentJsonSchema);

export const PipelineRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  latestVersion: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const VersionSummarySchema = z.object({ pipelineId: z.string(), version: z.number().int(), createdAt: z.string() });
export const VersionSchema = VersionSummarySchema.extend({ document: PipelineSchema });
export const SavedSchema = z.object({ pipeline: PipelineRecordSchema, version: VersionSchema });

export const CodedErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  nodeId: z.string().optional(),
  port: z.string().optional(),
  details: z.unknown().optional(),
});
export const ValidationSchema = z.object({ valid: z.boolean(), errors: z.array(CodedErrorSchema) });

export const IdParams = z.object({ id: z.string().min(1).max(100) });
export const VersionParams = IdParams.extend({ version: z.coerce.number().int().min(1).describe('A version number (1, 2, ...).') });
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional().describe('Page size, 1 to 200 (default 50).'),
  cursor: z.string().max(500).optional().describe('The nextCursor of the previous page.'),
});
export const ExportQuery = z.object({ version: z.coerce.number().int().min(1).optional().describe('The version to export; the latest when omitted.') });

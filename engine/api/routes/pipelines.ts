/**
 * Pipelines and their immutable versions. Every save (create, update, import) is validated against the node
 * registry (and the saved pipelines its `pipeline` nodes run) before anything is stored and has its node and
 * sub-pipeline versions pinned (pipeline-save.ts); an update is a new version, never an edit of an old one.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PipelineSchema } from '../../pipeline/schema.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { attachmentFor, importedText, MAX_PIPELINE_FILE_BYTES } from '../pipelines/pipeline-file.ts';
import { prepareForSave, prepareTextForSave, validationReport } from '../pipelines/pipeline-save.ts';
import { ErrorBody } from '../error-body.ts';
import { deleteSchedulesOfPipeline } from '../schedules/service.ts';
import {
  ExportQuery, IdParams, ListQuery, PipelineDocumentBody, PipelineRecordSchema, SavedSchema, ValidationSchema, VersionParams,
  VersionSchema, VersionSummarySchema,
} from '../pipelines/pipeline-schemas.ts';

const tags = ['pipelines'];

export function pipelinesRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { store } = deps;

  const pipelineOr404 = async (id: string) => {
    const pipeline = await store.getPipeline(id);
    if (!pipeline) throw apiError('PIPELINE_NOT_FOUND', `No pipeline "${id}".`, { pipelineId: id });
    return pipeline;
  };
  const versionOr404 = async (id: string, version?: number) => {
    await pipelineOr404(id);
    const record = await store.getVersion(id, version);
    if (!record) throw apiError('VERSION_NOT_FOUND', `Pipeline "${id}" has no version ${version}.`, { pipelineId: id, version });
    return record;
  };

  api.post(
    '/pipelines',
    { schema: { tags, summary: 'Save a new pipeline (version 1); validated first, node versions pinned.', body: PipelineDocumentBody, response: { 201: SavedSchema, 400: ErrorBody } } },
    async (request, reply) => reply.status(201).send(await store.createPipeline(await prepareForSave(request.body, deps))),
  );

  api.get(
    '/pipelines',
    { schema: { tags, summary: 'Pipelines, oldest first; page with limit and cursor.', querystring: ListQuery, response: { 200: z.object({ items: z.array(PipelineRecordSchema), nextCursor: z.string().optional() }), 400: ErrorBody } } },
    async (request) => store.listPipelines(request.query),
  );

  api.post(
    '/pipelines/validate',
    {
      schema: {
        tags,
        summary: 'Validate a pipeline document without saving it: any JSON body is checked and every problem reported (200 with valid: false).',
        body: z.unknown().meta({ description: 'Any JSON value, checked against tessera.pipeline/v1 and the node registry.' }),
        response: { 200: ValidationSchema },
      },
    },
    async (request) => {
      // No body at all (a JSON `null` is a document to report on, and is).
      if (request.body == null && request.headers['content-type'] === undefined) throw apiError('REQUEST_INVALID', 'Send the pipeline document to validate as the JSON body.');
      return validationReport(request.body, deps);
    },
  );

  api.get(
    '/pipelines/:id',
    { schema: { tags, summary: 'A pipeline (its latest version number; the document is under /versions).', params: IdParams, response: { 200: PipelineRecordSchema, 404: ErrorBody } } },
    async (request) => pipelineOr404(request.params.id),
  );

  api.put(
    '/pipelines/:id',
    { schema: { tags, summary: 'Save a new version of a pipeline; earlier versions stay as they were.', params: IdParams, body: PipelineDocumentBody, response: { 200: SavedSchema, 400: ErrorBody, 404: ErrorBody } } },
    async (request) => {
      const { id } = request.params;
      await pipelineOr404(id);
      const saved = await store.updatePipeline(id, await prepareForSave(request.body, deps, id));
      if (!saved) throw apiError('PIPELINE_NOT_FOUND', `No pipeline "${id}".`, { pipelineId: id }); // deleted meanwhile
      return saved;
    },
  );

  api.delete(
    '/pipelines/:id',
    { schema: { tags, summary: 'Delete a pipeline with its versions, schedules and webhooks (its runs stay).', params: IdParams, response: { 204: z.null().describe('Deleted.'), 404: ErrorBody } } },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await store.getPipeline(id))) throw apiError('PIPELINE_NOT_FOUND', `No pipeline "${id}".`, { pipelineId: id });
      // The store drops the schedule records, but their Temporal schedules would keep firing.
      await deleteSchedulesOfPipeline(deps, id);
      if (!(await store.deletePipeline(id))) throw apiError('PIPELINE_NOT_FOUND', `No pipeline "${id}".`, { pipelineId: id });
      return reply.status(204).send(null);
    },
  );

  api.get(
    '/pipelines/:id/versions',
    { schema: { tags, summary: 'The versions of a pipeline, oldest first.', params: IdParams, response: { 200: z.object({ items: z.array(VersionSummarySchema) }), 404: ErrorBody } } },
    async (request) => {
      await pipelineOr404(request.params.id);
      return { items: await store.listVersions(request.params.id) };
    },
  );

  api.get(
    '/pipelines/:id/versions/:version',
    { schema: { tags, summary: 'One version with its document.', params: VersionParams, response: { 200: VersionSchema, 404: ErrorBody } } },
    async (request) => versionOr404(request.params.id, request.params.version),
  );

  api.get(
    '/pipelines/:id/export',
    {
      schema: {
        tags,
        summary: 'Download a version (the latest by default) as a tessera.pipeline/v1 file.',
        params: IdParams,
        querystring: ExportQuery,
        response: { 200: PipelineSchema, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { document } = await versionOr404(request.params.id, request.query.version);
      // Sent as text (not through the serializer, hence the cast) so the file is indented like one written by hand.
      return reply
        .header('content-type', 'application/json; charset=utf-8')
        .header('content-disposition', attachmentFor(document.name))
        .send(`${JSON.stringify(document, null, 2)}\n` as never);
    },
  );

  // Import in a scope of its own: it reads a JSON body as text, so that a broken file is FILE_NOT_JSON
  // (as for `tessera validate`) instead of Fastify's generic parse error.
  void app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_PIPELINE_FILE_BYTES }, (_request, body, done) => done(null, body));
    scope.withTypeProvider<ZodTypeProvider>().post(
      '/pipelines/import',
      {
        schema: {
          tags,
          summary: 'Save a new pipeline from a tessera.pipeline/v1 file: the JSON body, or a multipart file field "file".',
          consumes: ['application/json', 'multipart/form-data'],
          body: PipelineDocumentBody,
          response: { 201: SavedSchema, 400: ErrorBody, 413: ErrorBody },
        },
      },
      async (request, reply) => reply.status(201).send(await store.createPipeline(await prepareTextForSave(await importedText(request), deps))),
    );
  });
}

import { z } from 'zod';

/** The one shape of every error answer (see errors.ts), for routes' response schemas. */
export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });

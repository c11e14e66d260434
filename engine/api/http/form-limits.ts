/** How many files and fields one multipart form may carry: the same for runs, uploads and (spooled) signed webhooks. */
export const FORM_LIMITS = { files: 20, fields: 50 } as const;

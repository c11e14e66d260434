import { z } from 'zod';

/** A reference to bytes in the blob store. Only references travel through Temporal, never bytes. */
export const BlobRefSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mime: z.string().min(1),
  size: z.number().int().nonnegative(),
  name: z.string().optional(),
});
export type BlobRef = z.infer<typeof BlobRefSchema>;

export function isBlobRef(value: unknown): value is BlobRef {
  return BlobRefSchema.safeParse(value).success;
}

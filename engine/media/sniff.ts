/**
 * Media types come from the bytes, never from file names or declared types: a ".png" that is really a
 * PDF must be treated as a PDF. file-type reads magic numbers from the first few kilobytes.
 */
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';

export interface SniffedType {
  /** file-type's extension, e.g. "png", "mp3", "pdf". */
  ext: string;
  mime: string;
}

export async function sniffBuffer(bytes: Uint8Array): Promise<SniffedType | undefined> {
  const found = await fileTypeFromBuffer(bytes);
  return found ? { ext: found.ext, mime: found.mime } : undefined;
}

export async function sniffFile(file: string): Promise<SniffedType | undefined> {
  const found = await fileTypeFromFile(file);
  return found ? { ext: found.ext, mime: found.mime } : undefined;
}

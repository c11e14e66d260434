/**
 * Error messages reach API clients (run records, events, Temporal history), so they must not carry the
 * worker's private layout: paths under its temporary folder or data folder, or memory addresses (ffmpeg
 * writes "[mp3 @ 0x5581cd2c1e40]"). A path under such a folder is cut to its last segment (enough to
 * tell files apart), the folder itself becomes a label.
 */
import os from 'node:os';
import path from 'node:path';

/** Characters that end a path inside a message: whitespace, quotes, and punctuation around it. */
const PATH_CHAR = String.raw`[^\s'"\x60:,;()<>\[\]]`;

export function scrubMessage(message: string, folders: readonly string[] = [os.tmpdir()]): string {
  let text = message;
  // Longest first, so that a data folder inside the temp folder is not half-replaced.
  for (const folder of [...new Set(folders.map((f) => path.resolve(f)))].sort((a, b) => b.length - a.length)) {
    if (folder === path.parse(folder).root) continue; // "/" would match every absolute path
    const pattern = new RegExp(`${escapeRegExp(folder)}((?:[\\\\/]${PATH_CHAR}*)?)(?!${PATH_CHAR})`, 'g');
    text = text.replace(pattern, (_match, rest: string) => {
      const base = rest ? path.basename(rest) : '';
      return base || '<worker folder>';
    });
  }
  return text.replace(/\s*@\s*0x[0-9a-fA-F]+/g, '').replace(/\b0x[0-9a-fA-F]{6,}\b/g, '0x…');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

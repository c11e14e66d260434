// Runs on `npm install` (after setup.mjs) and as `npm run build:editor`: builds the browser editor into
// editor/dist, which the API serves at / (engine/api/routes/editor.ts). Vite is a dev dependency: an
// install without dev dependencies (--omit=dev) skips the build and the API says the editor is not built.
import { fileURLToPath } from 'node:url';

if (process.env.TESSERA_SKIP_EDITOR_BUILD) process.exit(0);
let build;
try {
  ({ build } = await import('vite'));
} catch {
  console.warn('tessera: vite is not installed (dev dependencies omitted?); the editor is not built.');
  process.exit(0);
}
const started = Date.now();
await build({ configFile: fileURLToPath(new URL('../editor/vite.config.ts', import.meta.url)), logLevel: 'warn' });
console.log(`tessera: editor built into editor/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);

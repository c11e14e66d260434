/**
 * The package's root folder (where package.json, workflows/, editor/dist/, scripts/ and .tools/ are), the
 * same whether this module runs from the TypeScript sources (engine/package-root.ts, through tsx) or
 * compiled (dist/engine/package-root.js, see scripts/build-cli.mjs). What the engine reads at run time
 * outside its own folder is found from here: the workflow sources (webpack bundles the TypeScript, so
 * the bundle and its cache key are the same either way), the built editor, the temporal CLI and the setup
 * script. Files inside engine/ that are not code (prices.json, child-guard.mjs) are copied into dist/.
 */
import { fileURLToPath } from 'node:url';

/** True when this process runs the compiled JavaScript in dist/ rather than the sources. */
export const COMPILED = import.meta.url.endsWith('.js');

/** The package root, ending with a path separator. */
export const PACKAGE_ROOT = fileURLToPath(new URL(COMPILED ? '../../' : '../', import.meta.url));

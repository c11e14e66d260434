/**
 * Bundling workflow code with webpack takes seconds, so the bundle is cached in the data folder, keyed
 * by a hash of the workflow sources and the installed versions of the SDK packages that go into or
 * build the bundle (an `npm update` of the SDK makes a new bundle); a CLI run reuses it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import { PACKAGE_ROOT } from '../package-root.ts';

/** The workflow sources (TypeScript, compiled by the SDK's webpack), also when this module runs compiled from dist/. */
export const WORKFLOWS_DIR = path.join(PACKAGE_ROOT, 'workflows') + path.sep;
const WORKFLOWS_ENTRY = path.join(WORKFLOWS_DIR, 'index.ts');
/** The packages whose code is bundled with the workflow, or that bundle it. */
const BUNDLED_PACKAGES = ['@temporalio/workflow', '@temporalio/common', '@temporalio/worker'];
const require = createRequire(import.meta.url);

/** "name@version" of each bundled package as installed (read from its package.json, not a constant). */
export function installedSdkVersions(): string[] {
  return BUNDLED_PACKAGES.map((name) => {
    const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string };
    return `${name}@${manifest.version}`;
  });
}

export async function loadWorkflowBundle(cacheDir: string): Promise<{ code: string }> {
  const hash = createHash('sha256').update(installedSdkVersions().join('\n'));
  for (const file of (await readdir(WORKFLOWS_DIR)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort()) {
    hash.update(file).update(await readFile(path.join(WORKFLOWS_DIR, file)));
  }
  // The workflow imports types from engine/run/plan.ts; types vanish in the bundle, so they are not hashed.
  const cached = path.join(cacheDir, `workflow-bundle-${hash.digest('hex').slice(0, 16)}.js`);
  if (existsSync(cached)) return { code: await readFile(cached, 'utf8') };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_ENTRY, logger: quietLogger, webpackConfigHook: compileOwnWorkflows });
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${cached}.${process.pid}.tmp`;
  await writeFile(tmp, code);
  await rename(tmp, cached);
  return { code };
}

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];

/**
 * The SDK's webpack rule compiles .ts files except under node_modules; when Tessera is itself installed
 * as a package (npm install <tarball>, npm install -g), its workflows/ is under node_modules, so that rule
 * is narrowed to leave out other packages only.
 */
export function compileOwnWorkflows(config: WebpackConfig): WebpackConfig {
  for (const rule of config.module?.rules ?? []) {
    if (rule && typeof rule === 'object' && rule.test instanceof RegExp && rule.test.source === '\\.ts$') {
      rule.exclude = (file: string) => /node_modules/.test(file) && !file.startsWith(WORKFLOWS_DIR);
    }
  }
  return config;
}

const noop = (): void => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };

// An ESM resolve hook (node --import test/support/load-recorder-register.mjs) that prints every heavy
// package a command loads, so tests can check that light commands do not load them, and which CLI entry
// ran (dist/engine/cli/main.js compiled, or engine/cli/main.ts through tsx).
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(resolved.url);
  if (match) process.stderr.write(`loaded-package ${match[1]}\n`);
  if (/\/engine\/cli\/main\.(ts|js)$/.test(resolved.url)) process.stderr.write(`cli-entry ${resolved.url}\n`);
  return resolved;
}

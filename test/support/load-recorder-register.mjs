// node --import test/support/load-recorder-register.mjs: every package the process loads is printed on
// stderr as `loaded-package <name>`. The resolve hook sees what ES modules import; the packages of the
// CommonJS modules in require's cache (those other packages require(), which no resolve hook of Node 20
// sees) are printed at exit, and on SIGUSR2 for a long-running process (then followed by `loaded-packages-end`).
import { createRequire, register } from 'node:module';

register('./load-recorder.mjs', import.meta.url);

const cache = createRequire(import.meta.url).cache;
function printRequired() {
  const names = new Set();
  for (const file of Object.keys(cache)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (match) names.add(match[1]);
  }
  for (const name of names) process.stderr.write(`loaded-package ${name}\n`);
}
process.once('exit', printRequired);
process.on('SIGUSR2', () => {
  printRequired();
  process.stderr.write('loaded-packages-end\n');
});

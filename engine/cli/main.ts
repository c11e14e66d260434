/** The `tessera` command line. Every failure ends as one line "error CODE: message" and a non-zero exit. */
import { Command, CommanderError } from 'commander';
import { TesseraError } from '../errors.ts';
import { formatError } from './report.ts';
import { budgetFlag } from './budget-flag.ts';

// Each command's module is loaded only when that command runs: `--help` or `validate` must not pay for
// the Temporal SDK, the HTTP server or the provider SDKs that `run` and `dev` need.
const runCommand = async (...a: Parameters<typeof import('./run-command.ts').runCommand>) => (await import('./run-command.ts')).runCommand(...a);
const remoteRun = async (...a: Parameters<typeof import('./remote-run.ts').remoteRun>) => (await import('./remote-run.ts')).remoteRun(...a);
const validateCommand = async (...a: Parameters<typeof import('./validate-command.ts').validateCommand>) => (await import('./validate-command.ts')).validateCommand(...a);
const servicesCommand = async (...a: Parameters<typeof import('./services-command.ts').servicesCommand>) => (await import('./services-command.ts')).servicesCommand(...a);
const keys = () => import('./keys-command.ts');
const keysCreateCommand = async (...a: Parameters<typeof import('./keys-command.ts').keysCreateCommand>) => (await keys()).keysCreateCommand(...a);
const keysListCommand = async (...a: Parameters<typeof import('./keys-command.ts').keysListCommand>) => (await keys()).keysListCommand(...a);
const keysRevokeCommand = async (...a: Parameters<typeof import('./keys-command.ts').keysRevokeCommand>) => (await keys()).keysRevokeCommand(...a);
const cacheModule = () => import('./cache-command.ts');
const estimateCommand = async (...a: Parameters<typeof import('./estimate-command.ts').estimateCommand>) => (await import('./estimate-command.ts')).estimateCommand(...a);
const decisions = () => import('./approve-command.ts');
const approveCommand = async (...a: Parameters<typeof import('./approve-command.ts').approveCommand>) => (await decisions()).approveCommand(...a);
const rejectCommand = async (...a: Parameters<typeof import('./approve-command.ts').rejectCommand>) => (await decisions()).rejectCommand(...a);
const nodesCommand = async (...a: Parameters<typeof import('./nodes-command.ts').nodesCommand>) => (await import('./nodes-command.ts')).nodesCommand(...a);

const collect = (value: string, previous: string[] = []) => [...previous, value];

function program(): Command {
  const cli = new Command('tessera')
    .description('Durable multimodal AI pipelines on Temporal.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const common = (command: Command) =>
    command
      .option('--data-dir <dir>', 'data folder (env TESSERA_DATA_DIR, default ./.tessera)')
      .option('--task-queue <name>', 'Temporal task queue (env TESSERA_TASK_QUEUE, default "tessera")')
      .option('--plugin <module>', 'load extra node definitions from a module (repeatable)', collect);

  common(cli.command('validate <file>').description('check a pipeline file and print coded errors'))
    .option('--json', 'print { valid, errors } as JSON')
    .action(async (file, options) => setExit(await validateCommand(file, options)));

  common(cli.command('run <file>').description('run a pipeline on Temporal; its nodes run in this process (a task queue of its own)'))
    .option('-i, --input <name=value>', 'a pipeline input; name=@path reads a file (repeatable)', collect)
    .option('--json', 'print exactly one JSON object { runId, status, outputs } on stdout')
    .option('--out-dir <dir>', 'where file outputs are written (default ./tessera-output/<runId>)')
    .option('--server <url>', 'run on a Tessera API instead (env TESSERA_SERVER); <file> may then be a saved pipeline id')
    .option('--token <key>', 'API key for --server (env TESSERA_TOKEN)')
    .option('--version <n>', 'with --server: the saved pipeline version to run', (v) => Number(v))
    .option('--from-run <runId>', 'with --from: reuse the outputs of the nodes upstream of --from from this earlier run (and its inputs as defaults)')
    .option('--from <node>', 'run this node and everything after it (needs --from-run)')
    .option('--to <node>', 'run only this node and what it needs')
    .option('--cache <mode>', 'the output cache: auto (default), on (provider-backed nodes too), refresh (run all, update the cache) or off')
    .option('--budget <usd>', 'a cost budget for this run in US dollars (instead of the pipeline\'s budget.usd): a provider call whose estimate would go over it is refused before it is sent')
    .option('--estimate', 'print what the run may cost (a range in US dollars, per node) instead of running it')
    .option('--shared-queue', 'run on the shared task queue (--task-queue) instead of this process\'s own: `tessera dev` and `tessera worker` processes may then run its nodes with their environment')
    .action(async (file, options) => {
      const server = options.server ?? process.env.TESSERA_SERVER;
      options.budgetUsd = budgetFlag(options.budget); // a bad amount stops here, before anything is read
      if (options.estimate) return setExit(await estimateCommand(file, { ...options, server, token: options.token ?? process.env.TESSERA_TOKEN }));
      if (server) setExit(await remoteRun(file, { ...options, server, token: options.token ?? process.env.TESSERA_TOKEN }));
      else setExit(await runCommand(file, options));
    });

  const decision = (command: Command) =>
    command
      .option('--server <url>', 'decide through a Tessera API (env TESSERA_SERVER) instead of the local Temporal server')
      .option('--token <key>', 'API key for --server (env TESSERA_TOKEN)')
      .option('--data-dir <dir>', 'data folder (env TESSERA_DATA_DIR, default ./.tessera)')
      .option('--json', 'print { runId, nodeId, decision, edited, node } as JSON');

  decision(cli.command('approve <runId> <nodeId>').description('approve an approval node that waits; the run goes on with its value, or an edited one'))
    .option('--value <json>', 'the edited value, as JSON (text in quotes: \'"corrected"\')')
    .option('--value-file <path>', 'the edited value, from a JSON file')
    .option('--comment <text>', 'recorded with the decision')
    .action(async (runId, nodeId, options) => setExit(await approveCommand(runId, nodeId, options)));

  decision(cli.command('reject <runId> <nodeId>').description('reject an approval node that waits (the run fails with APPROVAL_REJECTED, or skips what follows)'))
    .option('--reason <text>', 'why (recorded, and in the run\'s error)')
    .action(async (runId, nodeId, options) => setExit(await rejectCommand(runId, nodeId, options)));

  const fileRoots = (command: Command) =>
    command.option('--file-root <dir>', 'a folder runs started through the API may read files under (repeatable; env TESSERA_FILE_ROOTS; default none)', collect);

  fileRoots(common(cli.command('worker').description('run a worker (needs a running server: TEMPORAL_ADDRESS or tessera dev)')))
    .option('--pool <name>', 'worker pool to serve: only its task queue, <queue>-<pool> (default "default": the main queue, which also runs the workflows)')
    .option('--concurrency <n>', 'activities this worker runs at once (env TESSERA_WORKER_CONCURRENCY, default 100)')
    .action(async (options) => setExit(await servicesCommand(options, 'worker')));

  const api = (command: Command) =>
    fileRoots(command)
      .option('--host <host>', 'address the API binds to (env TESSERA_API_HOST, default 127.0.0.1)')
      .option('--port <port>', 'API port (env TESSERA_API_PORT, default 8080)')
      .option('--auth', 'require API keys')
      .option('--no-auth', 'do not require API keys (only allowed on 127.0.0.1)')
      .option('--max-upload <size>', 'largest upload: bytes, or with a unit such as 500MB or 2GiB (env TESSERA_MAX_UPLOAD_BYTES, default 1GiB)');

  api(common(cli.command('serve').description('run the HTTP API (API keys required by default)')))
    .option('--worker', 'also run a worker in this process')
    .option('--ui', 'serve the embedded Temporal UI even when API keys are required (it has no access control)')
    .option('--no-ui', 'do not serve the Temporal UI (embedded server only)')
    .action(async (options) => setExit(await servicesCommand(options, 'serve')));

  api(common(cli.command('dev').description('everything locally: embedded Temporal server, worker and API')))
    .option('--ui', 'serve the embedded Temporal UI even when API keys are required (it has no access control)')
    .option('--no-ui', 'do not serve the Temporal UI')
    .option('--no-api', 'do not start the API')
    .option('--concurrency <n>', 'activities the worker runs at once (env TESSERA_WORKER_CONCURRENCY, default 100)')
    .action(async (options) => setExit(await servicesCommand(options, 'dev')));

  const keys = cli.command('keys').description('manage API keys');
  keys
    .command('create <name>')
    .description('create a key (its secret is shown once)')
    .option('--data-dir <dir>', 'data folder')
    .option('--json', 'print { id, name, prefix, secret }')
    .action(async (name, options) => setExit(await keysCreateCommand(name, options)));
  keys
    .command('list')
    .description('list keys (never their secrets)')
    .option('--data-dir <dir>', 'data folder')
    .option('--json', 'print JSON')
    .action(async (options) => setExit(await keysListCommand(options)));
  keys
    .command('revoke <idOrPrefix>')
    .description('revoke a key')
    .option('--data-dir <dir>', 'data folder')
    .option('--json', 'print JSON')
    .action(async (idOrPrefix, options) => setExit(await keysRevokeCommand(idOrPrefix, options)));

  const cache = cli.command('cache').description('the output cache: node outputs reused by later runs with the same inputs');
  cache
    .command('stats')
    .description('how many outputs are cached, and their size')
    .option('--data-dir <dir>', 'data folder')
    .option('--json', 'print { entries, bytes, maxBytes }')
    .action(async (options) => setExit(await (await cacheModule()).cacheStatsCommand(options)));
  cache
    .command('clear')
    .description('remove cached outputs (later runs run those nodes again)')
    .option('--data-dir <dir>', 'data folder')
    .option('--type <nodeType>', 'only the outputs of this node type')
    .option('--json', 'print { removed }')
    .action(async (options) => setExit(await (await cacheModule()).cacheClearCommand(options)));

  common(cli.command('nodes').description('list node types (the catalog)'))
    .option('--json', 'print the catalog as JSON')
    .action(async (options) => setExit(await nodesCommand(options)));

  return cli;
}

function setExit(code: number): void {
  process.exitCode = code;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof TesseraError) {
      process.stderr.write(`error ${formatError(err.toJSON())}\n`);
    } else {
      process.stderr.write(`error INTERNAL: ${(err as Error)?.message ?? String(err)}\n`);
      if (process.env.TESSERA_DEBUG) console.error(err);
    }
    process.exitCode = 1;
  }
}

await main(process.argv);

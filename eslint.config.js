// ESLint enforces the architecture of DESIGN.md: each rule fails the build when a part imports what it
// must not. (Style and types are left to the code's conventions and to tsc.) Run by `npm test`.
import tseslint from 'typescript-eslint';

const restricted = (...patterns) => ['error', { patterns: [...patterns, noEditor] }];
// Nothing on the server side depends on the editor (the API serves its built files, it does not import it).
const noEditor = { regex: '(^|/)editor/', message: 'Server code never imports the editor.' };

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', 'editor/dist/', '**/*.vue', '.tessera/', 'dist/', 'dist.*/'] },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The regular expressions that match control characters on purpose say so (eslint-disable-next-line).
      'no-control-regex': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: values only from @temporalio/workflow and
    // from workflows/ itself; anything else (engine/, nodes/, Node built-ins, SDKs) as types only.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restricted({
        regex: '^(?!@temporalio/workflow$|\\./)',
        allowTypeImports: true,
        message: 'workflows/ may import values only from @temporalio/workflow and workflows/; import anything else with `import type`.',
      }),
    },
  },
  {
    // A node type is self-contained: it may use nodes/common and the engine, never the workflow or another node type.
    files: ['nodes/*/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restricted(
        { regex: '(^|/)workflows/', message: 'Nodes never import the workflow.' },
        { regex: '^\\.\\./(?!common/|\\.\\./)', message: 'A node type does not import another node type\'s folder; share code through nodes/common.' },
      ),
    },
  },
  {
    // The editor bundle runs in browsers: only pure engine modules (ports, the pipeline schema, the needed-nodes
    // rule, a mapped node's ports, schedule intervals, error codes, the typed API client) as values; anything else as types only.
    files: ['editor/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': restricted({
        regex: 'engine/(?!ports\\.ts$|pipeline/schema\\.ts$|pipeline/needed-nodes\\.ts$|pipeline/map-ports\\.ts$|api/schedules/interval\\.ts$|errors\\.ts$|api/client/client\\.ts$)',
        allowTypeImports: true,
        message: 'The editor may import only pure engine modules (ports, pipeline schema, needed nodes, map ports, schedule intervals, errors, API client) as values.',
      }).map((v, i) => (i === 1 ? { patterns: v.patterns.filter((p) => p !== noEditor) } : v)),
    },
  },
  {
    files: ['engine/**/*.ts', 'nodes/*.ts', 'bin/**/*.js', 'scripts/**/*.{ts,mjs}'],
    ignores: ['scripts/build-editor.mjs'],
    rules: { '@typescript-eslint/no-restricted-imports': restricted() },
  },
);

// Lint with type information, and keep the layers apart as VS Code does:
// the renderer never imports Node code, only services use native/, the contract is pure TS, and the
// domain (services) never imports its entry points (main, cli, bridge).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.bench/**', 'resources/**/*.py', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16, allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'bin/*.js', 'test/fixtures/node/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX },
    // The zones below only see imports the resolver finds; its default knows no .ts, which would let
    // every TypeScript import through unchecked.
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.cjs', '.json', '.node'] })] },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      'no-control-regex': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      'import-x/no-restricted-paths': ['error', {
        zones: [
          { target: './renderer', from: ['./electron/services', './electron/main', './electron/preload', './electron/cli', './electron/bridge', './native', './server'], message: 'the renderer talks to services only through the contract and the preload/bridge client' },
          { target: './electron/contract', from: ['./electron/services', './electron/main', './electron/preload', './electron/cli', './electron/bridge', './native', './renderer', './server'], message: 'the contract is pure TypeScript + zod' },
          { target: './electron/main', from: ['./native'], message: 'only services use native/' },
          { target: './electron/main', from: ['./electron/cli', './electron/bridge'], message: 'the entry points (IPC, CLI, bridge) sit side by side over the services; none loads another' },
          { target: ['./electron/cli', './electron/bridge'], from: ['./native', './electron/main', './electron/preload', './renderer'], message: 'the CLI and the bridge reach the domain through services (only services use native/), never Electron main or the page' },
          // `hallmark hub` starts the hub; nothing else on the desktop side loads it.
          { target: ['./electron/bridge', './electron/cli/Cli.ts', './electron/cli/main.ts', './electron/cli/entry.ts', './electron/cli/options.ts'], from: ['./server'], message: 'only the `hallmark hub` command (cli/commands/hub.ts) loads the hub' },
          { target: './electron/preload', from: ['./native', './electron/services', './electron/main', './electron/cli', './electron/bridge'], message: 'the preload only exposes the typed call API' },
          { target: './native', from: ['./electron', './renderer', './server'], message: 'native adapters depend on nothing of ours' },
          { target: './electron/services', from: ['./electron/main', './electron/preload', './electron/cli', './electron/bridge', './renderer', './server'], message: 'the domain is plain Node: it never reaches into its entry points (Electron main, the CLI, the bridge), the preload, the page or the hub' },
          { target: './server', from: ['./electron/main', './electron/preload', './electron/services', './electron/cli', './electron/bridge', './renderer'], message: 'the hub is its own program: it shares only the contract and native adapters' },
          { target: './electron/services/formats', from: ['./electron/services/scan'], message: 'format knowledge (readers and their scan rules) lives in formats/; the scanner walks files and calls it, never the other way round' },
        ],
      }],
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'only electron/main and electron/preload import electron' }] }],
    },
  },
  {
    files: ['electron/main/**', 'electron/preload/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'path', 'child_process', 'better-sqlite3', 'node-llama-cpp', 'onnxruntime-node'], message: 'the renderer cannot use Node modules' }] }],
    },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);

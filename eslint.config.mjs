// Lint the boundaries of the house: domain and workflow code stay pure and
// deterministic (no Node built-ins, Prisma, Stripe, Express or pino), and no
// promise is left floating anywhere.
import tseslint from 'typescript-eslint';

const impure = [
  { group: ['node:*'], message: 'Domain and workflow code may not use Node built-ins.' },
  { group: ['@prisma/*', 'prisma', 'stripe', 'express', 'pino', 'pino-http', 'pg'], message: 'Do I/O in activities, not here.' },
  { group: ['**/activities', '**/activities/*'], message: 'Workflows import only activity types (use `import type`).', allowTypeImports: true },
  { group: ['**/src/api/*', '**/src/infra/*', '**/src/config'], message: 'Domain and workflow code may not depend on the API or infrastructure.' },
];

const builtins = ['fs', 'path', 'crypto', 'http', 'https', 'net', 'os', 'child_process', 'process', 'timers', 'util'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.data/**', 'dist/**', 'coverage/**', 'test/support/summary-reporter.js', 'jest.config.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // CommonJS scripts that no compiler touches (e.g. a worker thread's entry): require is how they import.
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/domain/**/*.ts', 'workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: builtins, patterns: impure }],
      'no-restricted-globals': ['error', { name: 'process', message: 'Pass configuration in; do not read the environment here.' }],
    },
  },
);

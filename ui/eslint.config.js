// Lint rules: TypeScript + Svelte, and `@tauri-apps/*` only in the Tauri backend.
import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const tauriOnlyInBackend = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          group: ['@tauri-apps/*'],
          message: 'Only src/lib/backend/tauri.ts talks to Tauri; use the backend interface.',
        },
      ],
    },
  ],
};

export default ts.config(
  { ignores: ['dist/', 'node_modules/', 'src/lib/bindings/', 'test-results/', 'playwright-report/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      ...tauriOnlyInBackend,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // TypeScript checks names (DOM types included); svelte-check runs it.
      'no-undef': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser } },
  },
  {
    files: ['src/lib/backend/tauri.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);

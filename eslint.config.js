import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Only server/core/crypto/ may touch the primitives: one facade, one parameter table.
const primitives = [
  { name: 'libsodium-wrappers', message: 'Use the facade in server/core/crypto/.' },
  { name: 'argon2', message: 'Use the facade in server/core/crypto/.' },
];
const layer = (group, message) => ({ group, message });

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'demo-data/', 'dist/', 'coverage/', 'docs/', 'public/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: primitives }],
    },
  },
  {
    // Files a reader can take in at one sitting (STYLE.md). Warnings until the last long ones are split.
    files: ['server/**/*.ts'],
    rules: {
      'max-lines': ['warn', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // The core has no Express in it and knows neither app: both apps and the CLI are built on it.
    files: ['server/core/**/*.ts'],
    ignores: ['server/core/crypto/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...primitives, { name: 'express', message: 'The core has no Express in it: put HTTP in server/web, server/public or server/staff.' }],
        patterns: [layer(['**/web/**', '**/public/**', '**/staff/**', '**/cli/**'], 'The core must not depend on a web layer or the CLI.')],
      }],
    },
  },
  {
    files: ['server/web/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: primitives, patterns: [layer(['**/public/**', '**/staff/**', '**/cli/**'], 'server/web is shared by both apps and knows neither.')] }],
    },
  },
  {
    files: ['server/public/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: primitives, patterns: [layer(['**/staff/**', '**/cli/**'], 'The public app must not reach into the staff app.')] }],
    },
  },
  {
    files: ['server/staff/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: primitives, patterns: [layer(['**/public/**', '**/cli/**'], 'The staff app must not reach into the public app.')] }],
    },
  },
  {
    files: ['server/core/crypto/**/*.ts', 'test/unit/crypto/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['public/js/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);

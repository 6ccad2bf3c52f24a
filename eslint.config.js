import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', 'docs/', 'public/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Only server/crypto/ may touch the primitives: one facade, one parameter table.
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'libsodium-wrappers', message: 'Use the facade in server/crypto/.' },
          { name: 'argon2', message: 'Use the facade in server/crypto/.' },
        ],
      }],
    },
  },
  {
    files: ['server/crypto/**/*.ts', 'test/unit/crypto/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['public/js/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);

import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': true, 'ts-ignore': true }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    files: ['apps/console/src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['apps/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'class-validator',
              importNames: ['ValidateNested', 'IsISO8601'],
              message:
                'Use NestedObject/NestedArray (objects only, arrays refused by name) and IsTimestamp from @reprise/common/http/validation.',
            },
            {
              name: '@nestjs/common',
              importNames: ['Param', 'ParseUUIDPipe'],
              message:
                'Use PathParam from @reprise/common/http/path-params: the one rule for every path parameter.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/domain/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='Date'][property.name='now']", message: 'The domain never reads the wall clock: take time from the command or metadata.' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'The domain never reads the wall clock.' },
      ],
      'no-restricted-imports': ['error', { patterns: ['@nestjs/*', 'better-sqlite3', 'bullmq', 'ioredis'] }],
    },
  },
  {
    // Infrastructure knows nothing of the domain: only the shared kernel's Decider and Clock shapes.
    files: ['libs/event-store/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@reprise/domain(?!/shared/(decider|clock)$)',
              message: 'libs/event-store is infrastructure: domain queries belong with their read models (libs/read-models).',
            },
          ],
        },
      ],
    },
  },
  {
    // The package's bin shims: plain CommonJS run by node.
    files: ['bin/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

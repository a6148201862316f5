// ESLint flat config: typescript-eslint's strict type-aware rules over src/, test/ and the scripts,
// tuned where a rule costs churn without finding defects. Formatting is Prettier's job
// (.prettierrc.json), so no rule here is about layout. `npm run lint` runs it; `npm test` too.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'test-artifacts/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      // One program for everything, the one `npx tsc -p tsconfig.test.json` checks.
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Numbers read well in messages and metric text; objects and nullish values are still caught.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // noUncheckedIndexedAccess makes `list[i]!` after a bounds check the normal idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // An underscore names a value dropped on purpose, e.g. a key taken out before `...rest`.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/prefer-optional-chain': 'error',
      '@typescript-eslint/prefer-nullish-coalescing': 'error',
      eqeqeq: ['error', 'smart'],
      // The code has no enums (string unions instead), and this rule alone costs about a seventh of the
      // lint time: it checks every assignment for one.
      '@typescript-eslint/no-unsafe-enum-assignment': 'off',
      // Prettier lays out the code and never leaves a line break that changes its meaning; this rule
      // misreads its member chains.
      'no-unexpected-multiline': 'off',
      // Regexes here match exact text (log lines, EM's dates), where two spaces read as the text does.
      'no-regex-spaces': 'off',
    },
  },
  {
    // Tests read parsed JSON and YAML to assert on it, and fakes implement async interfaces without
    // awaiting: a wrong shape there fails the assertion, so the any-tracking rules only add casts.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/require-await': 'off',
      // `expect(fake.method).toHaveBeenCalled()` passes a method without calling it, by design.
      '@typescript-eslint/unbound-method': 'off',
      // Teardown guards against a setup that failed half-way, which the declared types do not admit.
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    // Plain JavaScript has no types to check against (tsconfig.test.json sets checkJs: false); the
    // .d.mts files beside these scripts give their types to the tests that import them.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);

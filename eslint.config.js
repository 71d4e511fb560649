// Lint with zero warnings allowed (npm run lint). The layering rules keep main/core free of electron,
// node-only storage modules and the DOM, and keep raw IPC inside the typed wrappers (STYLE.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const electronOnly = ['electron', 'electron-store'];
const nodeOnlyStorage = ['keytar', 'conf'];

// A later config object's options for a rule replace an earlier one's, so each area's
// no-restricted-imports lists every restriction that applies to it, built from these parts.
const ipcPaths = [
  { name: 'electron', importNames: ['ipcMain', 'ipcRenderer'], message: 'Use the typed wrappers in main/electron/ipc.ts and preload/index.ts.' },
];
const corePaths = [...electronOnly, ...nodeOnlyStorage, 'react', 'react-dom'].map((name) => ({
  name,
  message: 'main/core stays free of electron, keytar/conf and the DOM; pass an adapter in.',
}));
const corePatterns = [
  { group: ['**/electron/**', '**/node/**', '**/renderer/**', 'electron/*'], message: 'main/core must not import adapters.' },
];
// The desktop's decisions (window, tray, notifications, clipboard, start at login) live in
// main/core/desktop/ and are the app window's business; the server and the engine serve every host and never follow them.
const desktopPatterns = [
  {
    group: ['**/desktop/*', '**/desktop/**'],
    message: 'main/core/api and main/core/engine serve every host: they must not import the desktop decisions.',
  },
];

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'dist/**', 'release/**', 'test-artifacts/**', 'renderer/dist/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Only the typed IPC wrappers may touch ipcMain / ipcRenderer / webContents.send.
    files: ['main/**/*.ts', 'preload/**/*.ts'],
    ignores: ['main/electron/ipc.ts', 'preload/index.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ipcPaths }],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[property.name='send'][object.property.name='webContents']", message: 'Use the typed wrapper in main/electron/ipc.ts.' },
      ],
    },
  },
  {
    files: ['main/core/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-restricted-imports': ['error', { paths: corePaths, patterns: corePatterns }],
      'no-restricted-globals': ['error', 'window', 'document', 'localStorage', 'navigator', 'HTMLElement'],
    },
  },
  {
    files: ['main/core/api/**/*.ts', 'main/core/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: corePaths, patterns: [...corePatterns, ...desktopPatterns] }],
    },
  },
  {
    // The vault file's format and crypto stay pure, so every rule of the format is tested on strings.
    files: ['main/node/vault-format.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [...ipcPaths, ...['fs', 'fs/promises', 'node:fs', 'node:fs/promises'].map((name) => ({ name, message: 'vault-format.ts is pure; file-vault.ts does the file work.' }))] },
      ],
    },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/main/**', '**/renderer/**', '**/preload/**', 'node:*', 'electron'], message: 'common/ imports nothing from main/, renderer/, preload/ or node.' }] },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}', 'test/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

/** Repository paths the constructs default to (resolved from this file, so the cwd does not matter). */
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');
export const HANDLER_ENTRY = fileURLToPath(new URL('../lambda/handler/index.ts', import.meta.url));
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));
export const DEFAULT_CONTRACTS_DIR = fileURLToPath(new URL('../contracts', import.meta.url));
export const LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));

import { readFileSync } from 'node:fs';

/** The CLI package's version, read from its package.json (`src/` and `dist/` both sit one level below it). */
export function cliVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const version = (manifest as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}

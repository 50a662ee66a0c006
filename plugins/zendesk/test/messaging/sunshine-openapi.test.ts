import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The committed Sunshine Conversations types must be what `pnpm run generate:sunshine` produces
 * from the shared spec: regenerated into a temporary file with the same two tools the script runs
 * (openapi-typescript, then Biome's formatter), and compared byte for byte.
 */

const plugin = fileURLToPath(new URL('../..', import.meta.url));
const repository = join(plugin, '../..');
const spec = join(repository, '../shared/reference/sunshine-conversations-openapi.yaml');
const committed = join(plugin, 'src/messaging/sunshine-openapi.ts');
const openapiTypescript = join(plugin, 'node_modules/.bin/openapi-typescript');
const biome = join(repository, 'node_modules/.bin/biome');

describe('generated Sunshine Conversations types', () => {
  it('the script regenerates them from the official spec', () => {
    const scripts = (
      JSON.parse(readFileSync(join(plugin, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts['generate:sunshine']).toBe(
      'openapi-typescript ../../../shared/reference/sunshine-conversations-openapi.yaml -o src/messaging/sunshine-openapi.ts && biome format --write src/messaging/sunshine-openapi.ts',
    );
  });

  it.skipIf(!existsSync(spec))(
    'the committed file is up to date with the spec (skipped only when ../shared/reference/sunshine-conversations-openapi.yaml is absent)',
    () => {
      const folder = mkdtempSync(join(tmpdir(), 'sunshine-openapi-'));
      try {
        const generated = join(folder, 'sunshine-openapi.ts');
        execFileSync(openapiTypescript, [spec, '-o', generated], { cwd: plugin, stdio: 'pipe' });
        // Formatted as if it were the committed file, so the repository's Biome settings apply.
        const formatted = execFileSync(biome, ['format', `--stdin-file-path=${committed}`], {
          cwd: repository,
          input: readFileSync(generated),
          stdio: ['pipe', 'pipe', 'pipe'],
        }).toString('utf8');
        expect(formatted.length).toBeGreaterThan(100_000);
        expect(
          formatted === readFileSync(committed, 'utf8'),
          'run `pnpm run generate:sunshine` in plugins/zendesk',
        ).toBe(true);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  );
});

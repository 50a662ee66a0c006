import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The committed Sunshine Conversations types are exactly what `pnpm run generate:sunshine` produces
 * from the spec vendored in `spec/`: the same script regenerates them into a temporary folder and the
 * result is compared byte for byte. Nothing outside the repository and no network is needed.
 */

const plugin = fileURLToPath(new URL('../..', import.meta.url));
const spec = join(plugin, 'spec/sunshine-conversations-openapi.yaml');
const generator = join(plugin, 'spec/generate-sunshine-types.mjs');
const committed = join(plugin, 'src/messaging/sunshine-openapi.generated.ts');

describe('generated Sunshine Conversations types', () => {
  it('the script reads only the vendored spec, inside the package', () => {
    const scripts = (
      JSON.parse(readFileSync(join(plugin, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts['generate:sunshine']).toBe('node spec/generate-sunshine-types.mjs');
    expect(readFileSync(generator, 'utf8')).not.toMatch(/\.\.\/\.\./);
  });

  it('the vendored spec matches the SHA-256 noted in spec/SOURCE.md', () => {
    const source = readFileSync(join(plugin, 'spec/SOURCE.md'), 'utf8');
    const noted = /^\|\s*SHA-256\s*\|\s*`([0-9a-f]{64})`/m.exec(source)?.[1];
    expect(noted, 'spec/SOURCE.md names the checksum').toBeDefined();
    const actual = createHash('sha256').update(readFileSync(spec)).digest('hex');
    expect(actual, 'update spec/SOURCE.md when the spec changes').toBe(noted);
    // The generated file's header names the spec it came from.
    const header = readFileSync(committed, 'utf8').slice(0, 600);
    expect(header).toContain('spec/sunshine-conversations-openapi.yaml');
    expect(header).toContain(`sha256 ${noted}`);
  });

  it('the committed file is up to date with the vendored spec', () => {
    const folder = mkdtempSync(join(tmpdir(), 'sunshine-openapi-'));
    try {
      const generated = join(folder, 'sunshine-openapi.generated.ts');
      // Run from elsewhere: the output must not depend on the working directory.
      execFileSync(process.execPath, [generator, '--output', generated], { cwd: folder, stdio: 'pipe' });
      const output = readFileSync(generated);
      expect(output.length).toBeGreaterThan(100_000);
      expect(output.toString('utf8')).toMatch(/^\/\*\*\n \* GENERATED FILE, DO NOT EDIT\./);
      expect(
        output.equals(readFileSync(committed)),
        'run `pnpm run generate:sunshine` in plugins/zendesk',
      ).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The vendored Zendesk Support OpenAPI file is the one SOURCE.md describes, byte for byte, and stays out of the package. */

const spec = fileURLToPath(new URL('../spec/', import.meta.url));
const sandbox = fileURLToPath(new URL('../', import.meta.url));

describe('vendored Zendesk Support OpenAPI file', () => {
  it('matches the SHA-256 and size noted in spec/SOURCE.md', () => {
    const source = readFileSync(`${spec}SOURCE.md`, 'utf8');
    const noted = /^\|\s*SHA-256\s*\|\s*`([0-9a-f]{64})`/m.exec(source)?.[1];
    expect(noted, 'spec/SOURCE.md names the checksum').toBeDefined();
    const bytes = readFileSync(`${spec}zendesk-support-openapi.yaml`);
    expect(
      createHash('sha256').update(bytes).digest('hex'),
      'update spec/SOURCE.md when the file changes',
    ).toBe(noted);
    expect(source).toContain(`${bytes.length.toLocaleString('en-US')} bytes`);
  });

  it('is kept from Biome, from line-ending conversion, and out of the npm package', () => {
    expect(readFileSync(`${spec}biome.json`, 'utf8')).toContain('!zendesk-support-openapi.yaml');
    expect(readFileSync(`${spec}.gitattributes`, 'utf8')).toMatch(/^zendesk-support-openapi\.yaml -text$/m);
    const manifest = JSON.parse(readFileSync(`${sandbox}package.json`, 'utf8')) as { files: string[] };
    expect(manifest.files).not.toContain('spec');
  });
});

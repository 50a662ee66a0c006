import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The tree shows the architecture: every package follows the same layout, so knowing one means knowing all. */

const root = fileURLToPath(new URL('..', import.meta.url));
const folders = (parent: string) =>
  readdirSync(`${root}${parent}`, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

interface PackageJson {
  name: string;
  type?: string;
  exports?: Record<string, Record<string, string>>;
  engines?: { node?: string };
}
const readPackage = (folder: string) =>
  JSON.parse(readFileSync(`${root}${folder}/package.json`, 'utf8')) as PackageJson;

const packages = [
  ...folders('packages').map((name) => `packages/${name}`),
  ...folders('plugins').map((name) => `plugins/${name}`),
];

describe('workspace layout', () => {
  it('has exactly the agreed top level', () => {
    for (const required of [
      'packages',
      'plugins',
      'test',
      'pnpm-workspace.yaml',
      'package.json',
      'tsconfig.base.json',
      'README.md',
    ]) {
      expect(existsSync(`${root}${required}`), required).toBe(true);
    }
  });

  it.each(packages)(
    '%s: scoped name matching its folder, ESM, exports with types first, Node 20',
    (folder) => {
      const pkg = readPackage(folder);
      const name = folder.split('/')[1];
      expect(pkg.name).toBe(`@crm-connect/${name}`);
      expect(pkg.type).toBe('module');
      expect(Object.keys(pkg.exports?.['.'] ?? {})[0]).toBe('types');
      expect(pkg.engines?.node).toBe('>=20.12.1');
      expect(existsSync(`${root}${folder}/src/index.ts`)).toBe(true);
    },
  );

  it('every package is type-checked by the root build', () => {
    const references = (
      JSON.parse(readFileSync(`${root}tsconfig.json`, 'utf8')) as { references: { path: string }[] }
    ).references.map((reference) => reference.path);
    for (const folder of packages) expect(references).toContain(folder);
  });

  it.each(folders('plugins').map((name) => `plugins/${name}`))(
    '%s: a README and a contract test that is a single testPlugin call',
    (folder) => {
      expect(existsSync(`${root}${folder}/README.md`)).toBe(true);
      const contract = readFileSync(`${root}${folder}/test/contract.test.ts`, 'utf8');
      expect(contract.match(/testPlugin\(/g)).toHaveLength(1);
    },
  );
});

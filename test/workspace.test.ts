import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The tree shows the architecture: every package follows the same layout, so knowing one means
 * knowing all, and its folder names its layer — `packages/` the machinery, `plugins/` the CRMs
 * built on it, `apps/` the programs built on both — so a dependency pointing up a layer is a bug.
 */

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
  private?: boolean;
  license?: string;
  publishConfig?: { access?: string };
  repository?: { url?: string; directory?: string };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const readPackage = (folder: string) =>
  JSON.parse(readFileSync(`${root}${folder}/package.json`, 'utf8')) as PackageJson;

/** The layers, lowest first: a package may depend on its own layer and the ones below it. */
const layers = ['packages', 'plugins', 'apps'] as const;
type Layer = (typeof layers)[number];

/** Every workspace package's folder, with its layer. */
const layered = layers.flatMap((layer) =>
  folders(layer).map((name): [string, Layer] => [`${layer}/${name}`, layer]),
);
const packages = layered.map(([folder]) => folder);

/** The layer of each workspace package, by its name. */
const layerByName = new Map<string, Layer>(
  layered.map(([folder, layer]) => [readPackage(folder).name, layer]),
);

/** Workspace packages from a layer above `layer` among `names`. */
function above(layer: Layer, names: Iterable<string>): string[] {
  const rank = layers.indexOf(layer);
  return [...new Set(names)].filter((name) => {
    const target = layerByName.get(name);
    return target !== undefined && layers.indexOf(target) > rank;
  });
}

function declaredDependencies(pkg: PackageJson): string[] {
  return [pkg.dependencies, pkg.devDependencies, pkg.peerDependencies].flatMap((group) =>
    Object.keys(group ?? {}),
  );
}

/** `@crm-connect/…` packages a folder's TypeScript sources import (subpath imports name their package). */
function importedPackages(folder: string): string[] {
  const sources = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.ts'),
  );
  return sources.flatMap((file) =>
    [...readFileSync(`${folder}/${file}`, 'utf8').matchAll(/['"](@crm-connect\/[a-z0-9-]+)[/'"]/g)].map(
      (match) => match[1] ?? '',
    ),
  );
}

describe('workspace layout', () => {
  it('has exactly the agreed top level', () => {
    const requiredFolders = ['packages', 'plugins', 'apps', 'test'];
    // Documentation beyond the README is optional for now; scripts/ holds machine setup (Redis).
    // reports/: what `pnpm test:mutation` writes (git-ignored), so a run of it must not fail this test.
    const optionalFolders = ['docs', 'node_modules', 'scripts', 'reports'];
    for (const required of [
      ...requiredFolders,
      'pnpm-workspace.yaml',
      'package.json',
      'tsconfig.base.json',
      'README.md',
    ]) {
      expect(existsSync(`${root}${required}`), required).toBe(true);
    }
    const visibleFolders = folders('').filter((name) => !name.startsWith('.'));
    for (const folder of visibleFolders)
      expect([...requiredFolders, ...optionalFolders], `unexpected top-level folder ${folder}/`).toContain(
        folder,
      );
  });

  it.each(packages)(
    '%s: scoped name matching its folder, ESM, exports with types first, Node 20',
    (folder) => {
      const pkg = readPackage(folder);
      const name = folder.split('/')[1];
      expect(pkg.name).toBe(`@crm-connect/${name}`);
      expect(pkg.type).toBe('module');
      expect(Object.keys(pkg.exports?.['.'] ?? {})[0]).toBe('types');
      // require() of an ES module works from Node 20.19 on; before it, a CommonJS consumer gets ERR_REQUIRE_ESM.
      expect(pkg.engines?.node).toBe('>=20.19.0');
      expect(existsSync(`${root}${folder}/src/index.ts`)).toBe(true);
    },
  );

  it.each(packages)(
    '%s: ready to publish (licence file, public access, repository, ranges on siblings)',
    (folder) => {
      const pkg = readPackage(folder);
      for (const [name, range] of Object.entries({
        ...pkg.dependencies,
        ...pkg.devDependencies,
        ...pkg.peerDependencies,
      }))
        if (name.startsWith('@crm-connect/')) expect(range, `${folder} → ${name}`).toBe('workspace:^');
      if (pkg.private === true) return;
      expect(pkg.license).toBe('MIT');
      expect(readFileSync(`${root}${folder}/LICENSE`, 'utf8')).toBe(readFileSync(`${root}LICENSE`, 'utf8'));
      expect(existsSync(`${root}${folder}/README.md`)).toBe(true);
      expect(pkg.publishConfig?.access).toBe('public');
      expect(pkg.repository?.directory).toBe(folder);
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

describe('layering: packages/ ← plugins/ ← apps/', () => {
  it.each(layered)('%s declares no dependency on a layer above it', (folder, layer) => {
    expect(above(layer, declaredDependencies(readPackage(folder)))).toEqual([]);
  });

  it.each(layered)('%s: its sources import nothing from a layer above it', (folder, layer) => {
    expect(above(layer, importedPackages(`${root}${folder}/src`))).toEqual([]);
  });

  it('sees a dependency that points up a layer', () => {
    expect(above('packages', ['@crm-connect/core', '@crm-connect/zendesk', '@crm-connect/cli'])).toEqual([
      '@crm-connect/zendesk',
      '@crm-connect/cli',
    ]);
    expect(above('plugins', ['@crm-connect/core', '@crm-connect/salesforce', '@crm-connect/bench'])).toEqual([
      '@crm-connect/bench',
    ]);
    expect(above('apps', ['@crm-connect/core', '@crm-connect/zendesk', '@crm-connect/cli'])).toEqual([]);
    // The source scan reads imports, subpath imports included: the CLI's are known.
    expect(importedPackages(`${root}apps/cli/src`)).toEqual(
      expect.arrayContaining(['@crm-connect/core', '@crm-connect/zendesk', '@crm-connect/sandbox-crms']),
    );
  });
});

/** Every plugin has the same role files, so knowing one plugin means knowing where things are in all. */
const pluginRoles = [
  'plugin',
  'plugin-id',
  'settings',
  'client',
  'credentials',
  'records',
  'notes',
  'users',
  'errors',
] as const;

describe('plugins: one file set, one plugin id', () => {
  it.each(folders('plugins'))('plugins/%s has every role file', (crm) => {
    const missing = ['index.ts', ...pluginRoles.map((role) => `${crm}-${role}.ts`)].filter(
      (file) => !existsSync(`${root}plugins/${crm}/src/${file}`),
    );
    expect(missing).toEqual([]);
  });

  it.each(folders('plugins'))('plugins/%s declares its id once, in %s-plugin-id.ts', (crm) => {
    const sources = readdirSync(`${root}plugins/${crm}/src`, { recursive: true, encoding: 'utf8' }).filter(
      (file) => file.endsWith('.ts'),
    );
    const declaring = sources.filter((file) =>
      /\b(const|let)\s+pluginId\s*=/.test(readFileSync(`${root}plugins/${crm}/src/${file}`, 'utf8')),
    );
    expect(declaring).toEqual([`${crm}-plugin-id.ts`]);
    expect(readFileSync(`${root}plugins/${crm}/src/${crm}-plugin-id.ts`, 'utf8')).toContain(
      `export const pluginId = '${crm}';`,
    );
  });
});

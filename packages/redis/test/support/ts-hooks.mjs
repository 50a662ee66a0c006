// Module hooks that let a child process run the workspace's TypeScript sources, as vitest does
// for the tests themselves (Node 20 cannot strip types): `@crm-connect/<name>` resolves to its
// src/index.ts, a `./x.js` import from a .ts file to ./x.ts, and .ts files are transpiled by the
// workspace's TypeScript, cached on disk by content so later processes start fast. Registered
// with `--import` by packages/redis/test/multi-process.test.ts.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../../../../', import.meta.url);
const cache = new URL('node_modules/.cache/crm-connect-ts-hooks/', root);

export async function resolve(specifier, context, nextResolve) {
  const workspace = /^@crm-connect\/([a-z0-9-]+)$/.exec(specifier);
  if (workspace !== null) {
    for (const folder of ['packages', 'plugins', 'apps']) {
      const source = new URL(`${folder}/${workspace[1]}/src/index.ts`, root);
      if (existsSync(source)) return { url: source.href, shortCircuit: true };
    }
  }
  if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const source = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(source)) return { url: source.href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const source = readFileSync(new URL(url), 'utf8');
  const cached = new URL(`${createHash('sha256').update(url).update(source).digest('hex')}.js`, cache);
  if (existsSync(cached))
    return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
  const { default: ts } = await import('typescript');
  const { outputText } = ts.transpileModule(source, {
    fileName: fileURLToPath(url),
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  });
  // Written whole, then renamed: a process starting at the same moment never reads half a file.
  mkdirSync(cache, { recursive: true });
  const partial = new URL(`${cached.pathname}.${process.pid}.tmp`, cached);
  writeFileSync(partial, outputText);
  renameSync(partial, cached);
  return { format: 'module', source: outputText, shortCircuit: true };
}

#!/usr/bin/env node
/**
 * `pnpm test:packages`: what someone installing crm-connect from npm gets, checked from the
 * tarballs (docs/publishing.md). Builds, packs every public package with pnpm (which turns
 * `workspace:` ranges into real ones), runs publint and `attw --profile esm-only` on each tarball,
 * installs all of them into a fresh npm project and there type-checks a consumer (nodenext and
 * bundler, `exactOptionalPropertyTypes`), require()s every entry point, runs ajv on each plugin's
 * settings schema and the testkit against an out-of-tree plugin; installs the CLI alone (no sandbox)
 * and runs `--version` and `--help`. Prints a report; exits 1 on any failure.
 *
 * Options: `--keep` leaves the temporary folder in place (its path is printed).
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const templates = fileURLToPath(new URL('./consumer/', import.meta.url));
const keep = process.argv.includes('--keep');
const rootPackage = readJson(join(root, 'package.json'));
const started = performance.now();

/** One line of the report per check: its name, whether it passed, what to print under it. */
const results = [];

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function print(text) {
  process.stdout.write(`${text}\n`);
}

/**
 * The environment for npm and the tools run in the temporary projects: without what pnpm sets for
 * its own scripts (`npm_config_*` from the workspace's settings), which npm would read as its own.
 */
function cleanEnvironment() {
  const env = {};
  for (const [key, value] of Object.entries(process.env))
    if (!/^npm_(config|package|lifecycle)_|^npm_(execpath|node_execpath|command)$/.test(key))
      env[key] = value;
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', npm_config_update_notifier: 'false' };
}

/** Runs a command to completion; resolves to its exit code and output (never rejects). */
function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? root,
      env: options.env ?? cleanEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', (error) => resolve({ code: 1, output: `${output}${error.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Runs pnpm: the one running this script, else the version the root package.json names. */
function pnpm(args, options) {
  const execPath = process.env.npm_execpath;
  if (execPath?.includes('pnpm')) return run(process.execPath, [execPath, ...args], options);
  return run('npx', ['-y', rootPackage.packageManager, ...args], options);
}

/**
 * Records a check in `into` (the report by default); `body` returns details to print, or throws
 * with the output as the message. Resolves to whether it passed.
 */
async function check(name, body, into = results) {
  const begin = performance.now();
  try {
    const details = (await body()) ?? '';
    into.push({ name, ok: true, details, ms: performance.now() - begin });
    return true;
  } catch (error) {
    into.push({ name, ok: false, details: error.message, ms: performance.now() - begin });
    return false;
  }
}

/** Runs a command as a check's body: throws its output when it fails. */
async function succeed(command, args, options) {
  const { code, output } = await run(command, args, options);
  if (code !== 0) throw new Error(`${[command, ...args].join(' ')} exited with ${code}\n${output.trim()}`);
  return output;
}

/** Runs `body` on every item, at most `limit` at a time (the machine has few cores, shared). */
async function eachLimited(items, limit, body) {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    while (queue.length > 0) await body(queue.shift());
  });
  await Promise.all(workers);
}

/** The packages a user can install: every non-private package of the workspace folders. */
function publicPackages() {
  const manifests = ['packages', 'plugins', 'apps'].flatMap((folder) =>
    readdirSync(join(root, folder))
      .map((name) => join(root, folder, name, 'package.json'))
      .filter((file) => existsSync(file))
      .map(readJson)
      .filter((manifest) => manifest.private !== true),
  );
  return new Map(manifests.map((manifest) => [manifest.name, manifest]));
}

/** The CLI and the workspace packages it depends on, transitively: not its optional peers (the sandbox). */
function cliClosure(packages) {
  const closure = new Set();
  const visit = (name) => {
    if (closure.has(name) || !packages.has(name)) return;
    closure.add(name);
    for (const dependency of Object.keys(packages.get(name).dependencies ?? {})) visit(dependency);
  };
  visit('@crm-connect/cli');
  return closure;
}

/** Lines of a tool's output worth showing when it passed: its warnings and suggestions. */
function notices(output) {
  return output
    .split('\n')
    .filter((line) => /warning|suggestion|^\s*\d+\.\s/i.test(line))
    .map((line) => line.trim())
    .join('\n');
}

/** A package.json for a temporary npm project installing the tarballs (and the packages they need from npm). */
function projectManifest(name, tarballs, devDependencies) {
  const local = Object.fromEntries([...tarballs].map(([pkg, file]) => [pkg, `file:${file}`]));
  // Overrides: a tarball's dependency on a sibling (`^0.1.0`) resolves to the sibling's tarball,
  // never to the registry.
  return { name, private: true, type: 'module', dependencies: local, devDependencies, overrides: local };
}

function npmInstall(cwd) {
  return succeed('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd,
  });
}

/** A version range the repository itself uses for a tool, so the consumer checks test what we test with. */
function rangeOf(name) {
  for (const manifest of [rootPackage, readJson(join(root, 'packages/core/package.json'))]) {
    const range = manifest.devDependencies?.[name] ?? manifest.dependencies?.[name];
    if (range !== undefined) return range;
  }
  throw new Error(`No version of ${name} in the root or core package.json`);
}

function consumerTsconfig(compilerOptions) {
  return {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      // A consumer's compiler reads the shipped .d.ts files: check them too.
      skipLibCheck: false,
      // TypeScript's own lib files are not what is checked here.
      skipDefaultLibCheck: true,
      noEmit: true,
      ...compilerOptions,
    },
    include: ['consumer.ts', 'src/**/*.ts', 'test/**/*.ts', 'vitest.config.ts'],
  };
}

/** Copies the shipped example plugin out of the installed testkit, as a plugin of the project's own. */
function writeOutOfTreePlugin(project) {
  const example = join(project, 'node_modules/@crm-connect/testkit/src/example');
  mkdirSync(join(project, 'src'));
  for (const file of ['helpdesk-plugin.ts', 'helpdesk-fixture.ts']) {
    const source = readFileSync(join(example, file), 'utf8');
    // Inside the testkit the fixture types are a relative import; out of tree they come from the package.
    const outOfTree = source.replaceAll("from '../fixture.js'", "from '@crm-connect/testkit'");
    if (/from '\.\.\//.test(outOfTree))
      throw new Error(`${file} imports a testkit file the package does not export`);
    writeFileSync(join(project, 'src', file), outOfTree);
  }
}

async function main() {
  const temporary = mkdtempSync(join(tmpdir(), 'crm-connect-packages-'));
  const tarballFolder = join(temporary, 'tarballs');
  const consumer = join(temporary, 'consumer');
  const cliOnly = join(temporary, 'cli-only');
  const packages = publicPackages();
  /** Package name → its tarball's path. */
  const tarballs = new Map();
  // Interrupted: leave no temporary folder behind (the children get the signal too).
  const interrupted = (signal) => {
    rmSync(temporary, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  print(`Checking the packages as npm users get them, in ${temporary} (1½ to 3 minutes)…`);
  try {
    if (
      !(await check('build (tsc --build)', () => succeed(join(root, 'node_modules/.bin/tsc'), ['--build'])))
    )
      return;

    const packed = await check(`pack ${packages.size} packages (pnpm pack)`, async () => {
      const filters = [...packages.keys()].flatMap((name) => ['--filter', name]);
      const { code, output } = await pnpm([
        '-r',
        ...filters,
        'pack',
        '--pack-destination',
        tarballFolder,
        '--json',
      ]);
      if (code !== 0) throw new Error(output);
      const list = JSON.parse(output.slice(output.indexOf('[')));
      for (const entry of list) tarballs.set(entry.name, entry.filename);
      const missing = [...packages.keys()].filter((name) => !tarballs.has(name));
      if (missing.length > 0) throw new Error(`not packed: ${missing.join(', ')}`);
      return [...tarballs.keys()].sort().join(', ');
    });
    if (!packed) return;

    // Installing takes the longest (network): start both projects now, lint the tarballs meanwhile.
    mkdirSync(consumer);
    mkdirSync(cliOnly);
    const toolRanges = {
      '@types/node': rangeOf('@types/node'),
      ajv: rangeOf('ajv'),
      'ajv-formats': rangeOf('ajv-formats'),
      typescript: rangeOf('typescript'),
      vitest: rangeOf('vitest'),
      zod: rangeOf('zod'),
      // ioredis's .d.ts import 'redis-errors': @crm-connect/redis depends on its types itself, so
      // the consumer adds nothing for them.
    };
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify(projectManifest('consumer', tarballs, toolRanges), null, 2),
    );
    const cliNames = cliClosure(packages);
    const cliTarballs = new Map([...tarballs].filter(([name]) => cliNames.has(name)));
    writeFileSync(
      join(cliOnly, 'package.json'),
      JSON.stringify(projectManifest('cli-only', cliTarballs, {}), null, 2),
    );
    const consumerInstalled = check('install every tarball into a fresh npm project', () =>
      npmInstall(consumer),
    );
    const cliInstalled = check('install the CLI alone (no sandbox)', async () => {
      await npmInstall(cliOnly);
      for (const absent of ['@crm-connect/sandbox', '@crm-connect/sandbox-crms'])
        if (existsSync(join(cliOnly, 'node_modules', absent))) throw new Error(`${absent} was installed`);
      return `${cliTarballs.size} tarballs: ${[...cliTarballs.keys()].sort().join(', ')}`;
    });

    // Each package's lines together, in name order, whatever order the checks finish in.
    const byPackage = new Map([...tarballs.keys()].sort().map((name) => [name, []]));
    await eachLimited([...tarballs], 2, async ([name, file]) => {
      const lines = byPackage.get(name);
      await check(
        `publint ${name}`,
        async () => notices(await succeed(join(root, 'node_modules/.bin/publint'), ['run', file])),
        lines,
      );
      await check(
        `attw --profile esm-only ${name}`,
        async () => {
          await succeed(join(root, 'node_modules/.bin/attw'), [
            file,
            '--profile',
            'esm-only',
            '--no-definitely-typed',
            '--format',
            'ascii',
            '--no-color',
          ]);
        },
        lines,
      );
      const engines = packages.get(name).engines?.node;
      if (engines !== '>=20.19.0')
        lines.push({
          name: `engines ${name}`,
          ok: true,
          details: `warning: engines.node is ${engines}; require() of these ES modules needs >=20.19.0`,
          ms: 0,
        });
    });
    results.push(...[...byPackage.values()].flat());

    if (await cliInstalled) {
      await check('npx crm-connect --version', () =>
        succeed('npx', ['--no-install', 'crm-connect', '--version'], { cwd: cliOnly }),
      );
      await check('npx crm-connect --help', async () => {
        const output = await succeed('npx', ['--no-install', 'crm-connect', '--help'], { cwd: cliOnly });
        return output.split('\n')[0];
      });
    }

    if (!(await consumerInstalled)) return;
    for (const file of ['consumer.ts', 'require-all.cjs', 'settings-schemas.mjs', 'vitest.config.ts'])
      cpSync(join(templates, file), join(consumer, file));
    cpSync(join(templates, 'test'), join(consumer, 'test'), { recursive: true });
    const tsconfigs = {
      'tsconfig.nodenext.json': consumerTsconfig({ module: 'nodenext', moduleResolution: 'nodenext' }),
      'tsconfig.bundler.json': consumerTsconfig({ module: 'esnext', moduleResolution: 'bundler' }),
    };
    for (const [file, config] of Object.entries(tsconfigs))
      writeFileSync(join(consumer, file), JSON.stringify(config, null, 2));

    if (!(await check('copy the example plugin out of tree', () => writeOutOfTreePlugin(consumer)))) return;

    const tsc = join(consumer, 'node_modules/.bin/tsc');
    await Promise.all([
      check('tsc consumer, module nodenext, exactOptionalPropertyTypes', () =>
        succeed(tsc, ['-p', 'tsconfig.nodenext.json'], { cwd: consumer }),
      ),
      check('tsc consumer, moduleResolution bundler, exactOptionalPropertyTypes', () =>
        succeed(tsc, ['-p', 'tsconfig.bundler.json'], { cwd: consumer }),
      ),
    ]);
    await check(`require() every entry point (CommonJS, Node ${process.version})`, async () => {
      const output = await succeed(process.execPath, ['require-all.cjs'], { cwd: consumer });
      return `${output.trim().split('\n').length} entry points`;
    });
    await check('ajv (2020-12) on each plugin settings schema', async () =>
      (await succeed(process.execPath, ['settings-schemas.mjs'], { cwd: consumer })).trim(),
    );
    await check('testkit contract suite on an out-of-tree plugin (npx vitest run)', async () => {
      const output = await succeed('npx', ['--no-install', 'vitest', 'run'], { cwd: consumer });
      return output
        .split('\n')
        .filter((line) => /^\s*(Test Files|Tests)\s/.test(line))
        .map((line) => line.trim())
        .join('\n');
    });
  } finally {
    report();
    if (keep) print(`kept: ${temporary}`);
    else rmSync(temporary, { recursive: true, force: true });
  }
}

function report() {
  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const width = Math.max(...results.map(({ name }) => name.length));
  print('');
  print(`crm-connect packages check (Node ${process.version})`);
  for (const { name, ok, details, ms } of results) {
    print(`${ok ? 'ok  ' : 'FAIL'}  ${name.padEnd(width)}  ${ms > 0 ? seconds(ms) : ''}`);
    if (details) for (const line of details.trim().split('\n')) print(`        ${line}`);
  }
  const failed = results.filter(({ ok }) => !ok).length;
  print(
    `${failed === 0 ? 'passed' : `${failed} failed`}: ${results.length} checks in ${seconds(performance.now() - started)}`,
  );
  if (failed > 0) process.exitCode = 1;
}

await main();

#!/usr/bin/env node
// `pnpm test:mutation`: StrykerJS over the files whose tests issue #19 measures, each with the tests
// named for it, and one table of the scores against their targets. On demand only (it takes
// minutes): not part of `pnpm test` or `.ci/run`. See docs/testing.md#mutation-testing.
//
//   pnpm test:mutation                 every test set
//   pnpm test:mutation --set core      one test set (repeat for more): core, zendesk, …, zendesk-conformance, …
//   pnpm test:mutation --list          the sets and the files they mutate
//   pnpm test:mutation --set core --file save-rules     only the files whose path contains this
//   pnpm test:mutation --set core --file save-rules --tests 'packages/core/test/save-rules*.test.ts'
//                                      a quicker look while writing tests (not the set's score)
//   pnpm test:mutation --incremental   re-test only mutants whose code or tests changed since the
//                                      last incremental run (reports/mutation/<set>.incremental.json)
//
// Each test set is one Stryker run (one dry run, then every mutant of its files); the scores are
// Stryker's: detected (killed or timed out) ÷ valid mutants (detected, survived or not covered).
// Survivors go to reports/mutation/<set>.json, the table to reports/mutation/summary.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Stryker } from '@stryker-mutator/core';
import { mutationTargets, testSets } from './targets.mjs';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    set: { type: 'string', multiple: true },
    file: { type: 'string', multiple: true },
    tests: { type: 'string', multiple: true },
    incremental: { type: 'boolean' },
    list: { type: 'boolean' },
  },
});

const chosen = values.set ?? Object.keys(testSets);
for (const name of chosen) {
  if (!(name in testSets)) {
    console.error(`Unknown test set "${name}". Choose from: ${Object.keys(testSets).join(', ')}.`);
    process.exit(2);
  }
}

if (values.list) {
  for (const name of chosen) {
    const files = mutationTargets.filter((target) => target.set === name).map((target) => target.file);
    console.log(`${name}: tests ${testSets[name].join(', ')}\n  mutates ${files.join('\n          ')}`);
  }
  process.exit(0);
}

const reportDir = resolve(root, 'reports/mutation');
// A run narrowed with --file keeps its own report and incremental file, so that narrowed runs of
// one set (one file each) do not overwrite each other's.
const reportName = (set) =>
  values.file === undefined ? set : `${set}.${values.file.join('+').replace(/[^A-Za-z0-9_-]+/g, '_')}`;
mkdirSync(reportDir, { recursive: true });
const rows = [];
for (const name of chosen) {
  const targets = mutationTargets.filter(
    (target) =>
      target.set === name &&
      (values.file === undefined || values.file.some((part) => target.file.includes(part))),
  );
  if (targets.length === 0) continue;
  // Stryker's test-runner processes inherit the environment; the vitest config reads it.
  process.env.MUTATION_TESTS = (values.tests ?? testSets[name]).join(',');
  const stryker = new Stryker({
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: 'scripts/mutation/vitest.mutation.config.ts', related: false },
    mutate: targets.map((target) => target.file),
    coverageAnalysis: 'perTest',
    // Stryker would add `// @ts-nocheck` to every TypeScript file of its copy, generated files
    // included (a Zendesk test compares a generated file byte for byte); vitest strips types
    // without checking them, so a mutant's type error cannot fail a run anyway.
    disableTypeChecks: false,
    reporters: ['progress-append-only'],
    concurrency: 2,
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    timeoutMS: 10_000,
    logLevel: 'warn',
    incremental: values.incremental === true,
    incrementalFile: `reports/mutation/${reportName(name)}.incremental.json`,
  });
  const results = await stryker.runMutationTest();
  const survivors = [];
  for (const target of targets) {
    const mutants = results.filter(
      (mutant) => relative(root, resolve(root, mutant.fileName)) === target.file,
    );
    const count = (statuses) => mutants.filter((mutant) => statuses.includes(mutant.status)).length;
    const detected = count(['Killed', 'Timeout']);
    const valid = detected + count(['Survived', 'NoCoverage']);
    const score = valid === 0 ? 100 : (detected / valid) * 100;
    rows.push({
      file: target.file,
      set: values.tests === undefined ? name : `${name} (--tests)`,
      detected,
      valid,
      score,
      target: target.minimum,
    });
    for (const mutant of mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')) {
      survivors.push({
        file: target.file,
        line: mutant.location.start.line,
        column: mutant.location.start.column + 1,
        status: mutant.status,
        mutator: mutant.mutatorName,
        replacement: mutant.replacement,
      });
    }
  }
  writeFileSync(
    resolve(reportDir, `${reportName(name)}.json`),
    `${JSON.stringify({ set: name, survivors }, null, 2)}\n`,
  );
}

if (rows.length === 0) {
  console.error('No file matched --file in the chosen sets; see --list.');
  process.exit(2);
}
const pad = (text, width) => String(text).padEnd(width);
const fileWidth = Math.max(...rows.map((row) => row.file.length), 4);
const setWidth = Math.max(...rows.map((row) => row.set.length), 9);
console.log(`\n${pad('file', fileWidth)}  ${pad('tests used', setWidth)}  score              target`);
for (const row of rows) {
  const score = `${row.score.toFixed(1)} % (${row.detected}/${row.valid})`;
  const verdict = row.score >= row.target ? 'met' : 'MISSED';
  console.log(
    `${pad(row.file, fileWidth)}  ${pad(row.set, setWidth)}  ${pad(score, 17)}  ≥ ${row.target} % ${verdict}`,
  );
}
writeFileSync(
  resolve(
    reportDir,
    `${values.file === undefined && values.set === undefined ? 'summary' : `summary.${reportName(chosen.join('+'))}`}.json`,
  ),
  `${JSON.stringify(rows, null, 2)}\n`,
);
const missed = rows.filter((row) => row.score < row.target);
console.log(
  missed.length === 0
    ? '\nEvery target met. Survivors: reports/mutation/<set>.json.'
    : `\n${missed.length} target(s) missed. Survivors: reports/mutation/<set>.json.`,
);
process.exitCode = missed.length === 0 ? 0 : 1;

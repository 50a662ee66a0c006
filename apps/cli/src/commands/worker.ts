import { createRedactor } from '@crm-connect/core';
import { UsageError } from '../cli-error.js';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { reportFailure } from '../json-output.js';
import { parseOptions, positiveInteger } from '../parse-options.js';
import { defaultTokenStorePath } from '../plugins.js';
import { redisUrl } from '../redis-url.js';
import { trustLoopbackHttps } from '../sandbox-modules.js';

export const workerHelp = `Usage: crm-connect worker --redis <url> --tenants <file> [options]

Runs a queue worker: takes the interaction events the platform enqueued with
@crm-connect/worker's producer from Redis and writes them to each tenant's CRM, one at a time and
in order per interaction across every worker. Start as many as you need, on as many machines:
they share the CRMs' rate budgets, the record links and Salesforce's token refreshes through
Redis. Prints one line per CRM write and per dead-lettered event (secrets redacted). Ctrl-C or
SIGTERM stops it gracefully: the events under way are finished, the rest is left to the other
workers, the connectors and Redis connections are closed.

Options:
  --redis <url>         redis://host:port[/db] or rediss://… (default: CRM_CONNECT_REDIS_URL);
                        a password goes in CRM_CONNECT_REDIS_PASSWORD, never in the flag
  --tenants <file>      JSON: { "<tenant id>": { "crm": "zendesk", "settings": { … } }, … }, the
                        settings as validate --config takes them (no secrets in it)
  --secrets-stdin       read secrets as <tenant>.<field>=value lines from standard input
  --token-store <file>  Salesforce refresh tokens (default ~/.crm-connect/salesforce-tokens.json)
  --concurrency <n>     interactions this worker handles at once (default 8)
  --prefix <prefix>     the key prefix the producers use too (default crm-connect:)
  --json                print every line as one JSON object (JSON Lines; fields: docs/cli.md)
  --verbose             log the worker's and every request's details as JSON lines on standard error
  -h, --help            show this help

Secrets are never accepted as flags or in the tenants file: pass each tenant's in the environment
as CRM_CONNECT_<TENANT>__<FIELD> (tenant acme's apiToken: CRM_CONNECT_ACME__API_TOKEN) or on
standard input (acme.apiToken=…). Every tenant is checked by its CRM's settings schema at start.
Exit codes: 0 stopped cleanly, 2 wrong command or tenants file, 3 Redis unreachable.
`;

export async function workerCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseOptions('worker', args, {
    redis: { type: 'string' },
    tenants: { type: 'string' },
    'secrets-stdin': { type: 'boolean', default: false },
    'token-store': { type: 'string' },
    concurrency: { type: 'string' },
    prefix: { type: 'string' },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(workerHelp);
    return exitCodes.ok;
  }
  const json = values.json;
  let secrets: string[] = [];
  try {
    const redis = redisUrl(values.redis, io.env);
    secrets = redis.secrets;
    if (values.tenants === undefined)
      throw new UsageError(
        'crm-connect worker needs --tenants <file>.',
        'Write each tenant\'s CRM and settings in a JSON file: { "acme": { "crm": "zendesk", "settings": { … } } }.',
      );
    const concurrency = positiveInteger('--concurrency', values.concurrency);
    if (values.prefix === '') throw new UsageError('--prefix is empty.', 'Leave it out for crm-connect:.');
    // bullmq and ioredis take a while to load: only this command and demo --redis need them.
    const { readTenantsFile } = await import('../worker/tenants-file.js');
    const tenants = await readTenantsFile(values.tenants);
    // Before any secret is read from standard input: a restarted process reads it instead.
    const restarted = await trustLoopbackHttps(
      'worker',
      Object.values(tenants).map((tenant) => tenant.settings),
      io,
    );
    if (restarted !== undefined) return restarted;
    const { runWorker } = await import('../worker/worker-runner.js');
    return await runWorker(
      {
        url: redis.url,
        secrets,
        tenantsPath: values.tenants,
        tenants,
        secretsFromStdin: values['secrets-stdin'],
        tokenStorePath: values['token-store'] ?? defaultTokenStorePath(io.env),
        concurrency,
        prefix: values.prefix,
        json,
        verbose: values.verbose,
      },
      io,
    );
  } catch (error) {
    return reportFailure(io, error, {
      json,
      command: 'worker',
      redactor: createRedactor(secrets),
      line: true,
    });
  }
}

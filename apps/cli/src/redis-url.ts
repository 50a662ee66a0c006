import { UsageError } from './cli-error.js';

/**
 * The Redis URL: `--redis` (never with a password: a flag ends up in shell history and process
 * lists), else `CRM_CONNECT_REDIS_URL`; a password may also come from `CRM_CONNECT_REDIS_PASSWORD`.
 * Returns the URL to connect to and the password, for the redactor.
 */
export function redisUrl(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  options: { fromEnvironment: boolean } = { fromEnvironment: true },
): { url: string; secrets: string[] } {
  const given = flag ?? (options.fromEnvironment ? nonEmpty(env.CRM_CONNECT_REDIS_URL) : undefined);
  if (given === undefined)
    throw new UsageError(
      'Name the Redis to use with --redis redis://host:port.',
      options.fromEnvironment
        ? 'Or set CRM_CONNECT_REDIS_URL; a password goes in CRM_CONNECT_REDIS_PASSWORD or that variable, never in the flag.'
        : 'A password goes in CRM_CONNECT_REDIS_PASSWORD, never in the flag.',
    );
  const where = flag === undefined ? 'CRM_CONNECT_REDIS_URL' : '--redis';
  let parsed: URL;
  try {
    parsed = new URL(given);
  } catch {
    // The text itself is not repeated: from the environment it may hold a password.
    throw new UsageError(`${where} is not a URL.`, 'Write it as redis://host:port or rediss://host:port.');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new UsageError(
      `${where} must be a redis:// or rediss:// URL.`,
      'Write it as redis://host:port or rediss://host:port.',
    );
  if (flag !== undefined && parsed.password !== '')
    throw new UsageError(
      '--redis holds a password, and secrets are never accepted as flags.',
      'Pass the password in CRM_CONNECT_REDIS_PASSWORD instead.',
    );
  const password = nonEmpty(env.CRM_CONNECT_REDIS_PASSWORD);
  if (parsed.password === '' && password !== undefined) parsed.password = encodeURIComponent(password);
  const secrets = parsed.password === '' ? [] : [parsed.password, decoded(parsed.password)];
  return { url: parsed.password === '' ? given : parsed.href, secrets };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

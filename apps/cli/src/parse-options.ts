import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './cli-error.js';
import { nearestName } from './nearest-name.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<TOptions extends Options> = ReturnType<
  typeof parseArgs<{ options: TOptions; strict: true; allowPositionals: true }>
>;

/**
 * `parseArgs` (strict) for one command, whose mistakes are usage errors that say what to do: an
 * unknown option names the nearest known one ("Unknown option --jsn; did you mean --json?").
 */
export function parseOptions<const TOptions extends Options>(
  command: string,
  args: readonly string[],
  options: TOptions,
  settings: { allowPositionals?: boolean } = {},
): Parsed<TOptions> {
  try {
    return parseArgs({
      args: [...args],
      options,
      allowPositionals: settings.allowPositionals ?? false,
      strict: true,
    }) as Parsed<TOptions>;
  } catch (error) {
    if (!isParseError(error)) throw error;
    const help = `Run crm-connect ${command} --help to see its options.`;
    if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const unknown = unknownOption(args, options);
      const nearest = unknown === undefined ? undefined : nearestName(unknown.name, Object.keys(options));
      const named = unknown?.rawName ?? /'([^']+)'/.exec(error.message)?.[1] ?? 'given';
      throw new UsageError(
        nearest === undefined
          ? `Unknown option ${named} for crm-connect ${command}.`
          : `Unknown option ${named}; did you mean --${nearest}?`,
        help,
        'unknown_option',
      );
    }
    throw new UsageError(error.message.endsWith('.') ? error.message : `${error.message}.`, help);
  }
}

function isParseError(error: unknown): error is TypeError & { code: string } {
  return error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
}

/** The first option on the command line that `options` does not define, as typed. */
function unknownOption(
  args: readonly string[],
  options: Options,
): { name: string; rawName: string } | undefined {
  const { tokens } = parseArgs({
    args: [...args],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    // A known short option comes back under its long name.
    if (token.kind !== 'option' || token.name in options) continue;
    return { name: token.name, rawName: token.rawName };
  }
  return undefined;
}

/** `--concurrency 8` → 8; `undefined` without the option. */
export function positiveInteger(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new UsageError(`${option} ${value} is not a whole number above 0.`, `Use, e.g., ${option} 4.`);
  return number;
}

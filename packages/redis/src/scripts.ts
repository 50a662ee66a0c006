import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export type ScriptArgument = string | number;

/** Runs a Lua script with its keys and arguments; the reply is unchecked, so parse it. */
export type RedisScript = (keys: readonly string[], args: readonly ScriptArgument[]) => Promise<unknown>;

type ScriptCommand = (...keysAndArgs: ScriptArgument[]) => Promise<unknown>;

/**
 * Registers a Lua script on the client with ioredis' `defineCommand`: every call is an EVALSHA,
 * and the script text is sent (EVAL) only when the server does not know it yet (after a restart).
 * The command is named after the script's hash, so one client shared by several stores defines
 * each script once and two scripts never take each other's name.
 */
export function defineScript(redis: Redis, lua: string, numberOfKeys: number): RedisScript {
  const name = `crmConnect${createHash('sha1').update(lua).digest('hex').slice(0, 20)}`;
  const commands = redis as unknown as Record<string, ScriptCommand | undefined>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { lua, numberOfKeys });
  const command = commands[name];
  if (command === undefined) throw new Error(`ioredis did not define the script command ${name}`);
  return (keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`script ${name} takes ${numberOfKeys} keys`);
    return command.call(redis, ...keys, ...args);
  };
}

/**
 * CPU time this process has used so far, user and system together, in µs. A client's cost is
 * measured in CPU rather than wall time where the sandbox runs in another process: what the
 * process burned is the client's own work, whatever the sandbox, the scheduler or other work on
 * the machine did to the clock meanwhile. Garbage collection threads count too (they clean up
 * after the client).
 */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

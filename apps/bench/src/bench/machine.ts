import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

/** The machine a run was measured on, printed with the table and kept in the JSON. */
export interface Machine {
  /** Logical CPUs, as `nproc` counts them. */
  cpus: number;
  /** The CPU model, as /proc/cpuinfo names it. */
  cpuModel: string;
  memoryGib: number;
  node: string;
  platform: string;
  /** The 1-minute load average when the run started: other work on the machine skews timings. */
  loadAverage: number;
}

export function describeMachine(): Machine {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGib: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

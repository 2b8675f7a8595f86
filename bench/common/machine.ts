// What a figure was measured on: the machine is shared, so the load average goes with every run.
import { cpus, freemem, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  loadavg: [number, number, number];
}

const gib = (bytes: number) => Math.round((bytes / 2 ** 30) * 10) / 10;

export function machineInfo(): MachineInfo {
  const [l1 = 0, l5 = 0, l15 = 0] = loadavg();
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: gib(totalmem()),
    freeMemoryGiB: gib(freemem()),
    node: process.version,
    loadavg: [l1, l5, l15].map((v) => Math.round(v * 100) / 100) as [number, number, number],
  };
}

/** The 1-minute load average, rounded, for per-run records. */
export function load1(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

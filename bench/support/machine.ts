import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** "9.12 8.40 7.95 (1/5/15 min, 2 cores)": printed beside every figure a benchmark measures. */
export function loadAverage(): string {
  return `${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (1/5/15 min, ${cpus().length} cores)`;
}

let ticksPerSecond: number | undefined;
const clockTicks = (): number => {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
};

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: the fields after it start past its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds each named process used between `start()` and the function it returns. */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const self = process.cpuUsage();
  return () => {
    const used = Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid) - before[name]]),
    );
    const mine = process.cpuUsage(self);
    return { ...used, bench: (mine.user + mine.system) / 1e6 };
  };
}

export const formatCpu = (cpu: Record<string, number>): string =>
  Object.entries(cpu)
    .map(([name, s]) => `${name} ${s.toFixed(2)} s`)
    .join(', ');

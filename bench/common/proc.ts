// CPU time and resident memory of a process from /proc (Linux). CPU per request is the figure that
// survives a shared machine best: other engineers' work lengthens latencies, much less the CPU a
// request costs.
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ; 100 on every Linux this runs on

export interface ProcSample {
  cpuSeconds: number;
  rssBytes: number;
  /** Peak resident memory since the process started (VmHWM). */
  peakRssBytes: number;
}

export function sampleProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name "(...)", which may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  const hwmKb = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  return {
    cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND,
    rssBytes: rssKb * 1024,
    peakRssBytes: hwmKb * 1024,
  };
}

/** Where a process's resident memory is, from /proc/<pid>/status and smaps (MiB-level, Linux). */
export interface ResidentBreakdown {
  /** Anonymous memory: the JS heap, malloc arenas and mappings, thread stacks. */
  anonBytes: number;
  /** File-backed pages: the node binary and shared libraries as far as they are touched. */
  fileBytes: number;
  /** Of the anonymous memory, glibc's main malloc arena (the brk heap). */
  brkHeapBytes: number;
}

export function residentBreakdown(pid: number): ResidentBreakdown {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
  let brkHeapBytes = 0;
  let inHeap = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inHeap = line.trimEnd().endsWith('[heap]');
    else if (inHeap && line.startsWith('Rss:')) brkHeapBytes += Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024;
  }
  return { anonBytes: kb('RssAnon'), fileBytes: kb('RssFile') + kb('RssShmem'), brkHeapBytes };
}

// This process's peak resident set size.
//
// getrusage's ru_maxrss (process.resourceUsage().maxRSS) survives exec on Linux: a child started by
// a large process (a bench holding decoded columns, a nightly driver) reports at least its parent's
// RSS at the fork, not its own (measured: a child of a 600 MiB process reported 604 MiB, its own
// peak was 40 MiB). /proc/self/status VmHWM is the high-water mark of this process's own address
// space (threads share it, so worker threads count), reset at exec; it is read where it exists,
// ru_maxrss elsewhere.
import { readFileSync } from 'node:fs';

/** Peak RSS of this process in MiB (rounded). */
export function peakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch {
    // no procfs: ru_maxrss below
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

// The run summary's peak RSS (max_rss_mb) is the run's own, not inherited from a large parent.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

describe('peakRssMb', () => {
  it("a child of a 400 MiB process reports its own peak (ru_maxrss reports the parent's)", () => {
    const big = new Uint8Array(400 * 1024 * 1024).fill(7); // resident in this process at the fork
    const script = `import { peakRssMb } from ${JSON.stringify(join(ROOT, 'src/io/peak-rss.ts'))};
      console.log(JSON.stringify({ own: peakRssMb(), ru: Math.round(process.resourceUsage().maxRSS / 1024) }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { own, ru } = JSON.parse(r.stdout) as { own: number; ru: number };
    expect(big[12345]).toBe(7);
    // The inherited figure is at least the parent's 400 MiB buffer (Linux keeps ru_maxrss across exec).
    if (process.platform === 'linux') expect(ru).toBeGreaterThanOrEqual(400);
    // A node process with tsx loaded peaks well under 250 MiB.
    expect(own).toBeGreaterThan(10);
    expect(own).toBeLessThan(250);
  });
});

// End-to-end: the real CLI in a child process, with CI=true, on real files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, csv } from '../helpers.js';


function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'ras-replay-'));
}

const SEED000 = { arch: 'arm64', notify: 'sea', severity: 'recoverable', sync: true, pa: '0x4092d55b400', page: 'anon', context: 'user', pid: 100, vaddr: '0xffffb0d75400', early_kill: 1 };

describe('ras-replay run --jsonl', () => {
  it('writes one object per event and profile in (profile, event_id) order', () => {
    const d = tmp();
    const f = join(d, 't.csv');
    writeFileSync(f, csv([{ ...SEED000, event_id: 7, host: 'b' }, { ...SEED000, event_id: 3, host: 'a' }]));
    const r = cli(['run', f, '-p', 'pre', '-p', 'post', '--jsonl']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => `${x.profile}:${x.event_id}`)).toEqual(['pre:3', 'pre:7', 'post:3', 'post:7']);
    expect(rows[0].signals).toEqual([{ seq: 0, pid: 100, tid: 100, signo: 7, si_code: 5, addr: 0xffffb0d75000, addr_lsb: 12 }]);
    expect(rows[2].signals[0].si_code).toBe(4);
    for (const k of ['event_id', 'host', 'profile', 'panic', 'panic_msg', 'reboot_loop', 'vmcore', 'mf_type', 'mf_result', 'mf_ret', 'poisoned', 'unmapped', 'guest_action', 'path', 'signals']) {
      expect(rows[0]).toHaveProperty(k);
    }
  });

  it('a bad CSV value exits 2 naming file, line, column, value and what was expected; nothing on stdout', () => {
    const d = tmp();
    const f = join(d, 'bad.csv');
    writeFileSync(f, csv([SEED000, { ...SEED000, context: 'userspace' }]));
    const r = cli(['run', f, '--jsonl']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${f}: line 3: column context: value "userspace": expected one of user, kernel_copyin`);
  });

  it('an impossible combination is refused with its column', () => {
    const d = tmp();
    const f = join(d, 'bad.csv');
    writeFileSync(f, csv([{ ...SEED000, notify: 'mce' }]));
    const r = cli(['run', f, '--jsonl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 2: column notify: value "mce": expected sea, sei, sdei/);
  });

  it('an out-of-order host is rejected unless --sort', () => {
    const d = tmp();
    const f = join(d, 'unsorted.csv');
    writeFileSync(f, csv([{ ...SEED000, t_ns: 20 }, { ...SEED000, t_ns: 10 }]));
    const r = cli(['run', f, '--jsonl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 3: column t_ns: value "10".*pass --sort/);
    expect(cli(['run', f, '--jsonl', '--sort']).code).toBe(0);
  });

  it('a JSON profile flips a switch and the affected outcome changes as the kernel would', () => {
    const d = tmp();
    const f = join(d, 't.csv');
    writeFileSync(f, csv([SEED000]));
    const p = join(d, 'no-000-patch1.json');
    writeFileSync(p, JSON.stringify({ name: 'post-without-sync-ar', extends: 'post', switches: { ghes_sync_ar: false } }));
    const r = cli(['run', f, '-p', 'post', '-p', p, '--jsonl']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.profile, x.signals[0].si_code])).toEqual([['post', 4], ['post-without-sync-ar', 5]]);
  });

  it('an unknown switch in a profile file exits 2 naming it', () => {
    const d = tmp();
    const f = join(d, 't.csv');
    writeFileSync(f, csv([SEED000]));
    const p = join(d, 'typo.json');
    writeFileSync(p, JSON.stringify({ extends: 'post', switches: { ghes_sync_arr: false } }));
    const r = cli(['run', f, '-p', p, '--jsonl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${p}: unknown switch "ghes_sync_arr"`);
  });

  it('usage errors exit 2', () => {
    expect(cli(['run']).code).toBe(2);
    expect(cli(['no-such-command']).code).toBe(2);
    expect(cli(['run', 'x.csv', '--jsonl', '--no-such-flag']).code).toBe(2);
  });

  it('report -o naming a folder exits 2 with one line naming it, before the store is opened', () => {
    const d = tmp();
    const r = cli(['report', '--store', 'package.json', '-o', d]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^ras-replay: -o .*: is a folder: expected the report file to write \(for example .*\/report\.html\)\n$/);
  });
});

describe('ras-replay explain', () => {
  it("prints the decision path and the kernel's log lines", () => {
    const d = tmp();
    const f = join(d, 't.csv');
    writeFileSync(f, csv([SEED000]));
    const r = cli(['explain', f, '--event', '1', '-p', 'pre']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('path: ghes.queue_kick');
    expect(r.stdout).toContain('Memory failure: 0x4092d55b: recovery action for dirty LRU page: Recovered');
    expect(r.stdout).toContain('Memory failure: 0x4092d55b: Sending SIGBUS to pid100:100 due to hardware memory corruption');
    expect(r.stdout).toContain('signal: pid 100 tid 100 signo 7 si_code 5 addr 0xffffb0d75000 addr_lsb 12');
  });

  it('an unknown event exits 2', () => {
    const d = tmp();
    const f = join(d, 't.csv');
    writeFileSync(f, csv([SEED000]));
    const r = cli(['explain', f, '--event', '99']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no event with event_id 99');
  });
});

// Kernel log importer: GHES CPER dumps, x86 machine check records, memory_failure() lines, panics
// and the einj_mem_uc transcript of seed 000, from fixtures that follow the kernel's printk formats.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSource } from '../../src/import/index.js';
import { InputError } from '../../src/io/errors.js';
import { builtinProfile } from '../../src/model/profiles.js';
import { replayEvents } from '../../src/engine/replay-events.js';
import { ARCH, CONTEXT, NOTIFY, PAGE, SEVERITY } from '../../src/model/enums.js';
import type { TraceEvent } from '../../src/io/trace.js';

const FIX = resolve(__dirname, '../fixtures/import');
const fx = (f: string): string => join(FIX, f);

/** The event in the CSV spelling, for exact comparisons. */
function row(e: TraceEvent): Record<string, unknown> {
  return {
    event_id: e.eventId, host: e.host, t_ns: e.tNs, arch: ARCH[e.arch], notify: NOTIFY[e.notify], firmware_first: e.firmwareFirst,
    severity: SEVERITY[e.severity], sync: e.sync, ripv: e.ripv, pa: e.pa, page: PAGE[e.page], pinned: e.pinned,
    poisoned_before: e.poisonedBefore, context: CONTEXT[e.context], pid: e.pid, tid: e.tid, comm: e.comm, vaddr: e.vaddr,
    early_kill: e.earlyKill, recovery: e.recovery, where: e.where,
  };
}

async function expectInputError(p: Promise<unknown>, pattern: RegExp): Promise<InputError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(pattern);
  return err as InputError;
}

describe('kernel-log importer', () => {
  it('arm64 GHES recoverable memory error with an ARM processor section, memory_failure result and SIGBUS', async () => {
    const r = await importSource(fx('ghes-arm64-sigbus.log'));
    expect(r.format).toBe('kernel-log');
    expect(r.warnings).toEqual([]);
    expect(r.events.map(row)).toEqual([{
      event_id: 1n, host: 'arm-01', t_ns: 1_234_567_890_000n, arch: 'arm64', notify: 'sea', firmware_first: true,
      severity: 'recoverable', sync: true, ripv: true, pa: 0x1351811800, page: 'anon', pinned: false, poisoned_before: false,
      context: 'user', pid: 4242, tid: 4242, comm: 'stress', vaddr: -1, early_kill: -1, recovery: -1,
      where: `${fx('ghes-arm64-sigbus.log')}: line 2`,
    }]);
    expect(r.observed).toEqual([{
      eventId: 1n, host: 'arm-01',
      inferred: ['notify', 'sync', 'ripv', 'mem', 'page', 'page_shift', 'pinned', 'poisoned_before', 'context', 'pid', 'tid', 'comm',
        'vaddr', 'mappers', 'guest_ras', 'early_kill', 'recovery', 'panic_on_oops', 'kdump', 'panic_on_unrecoverable', 'extra_refs', 'vendor'],
      panic: false, panicMsg: null, mfType: 'dirty LRU page', mfResult: 'Recovered',
      signals: [{ pid: 4242, tid: 4242, signo: 7, siCode: null, addr: null, lsb: null }],
    }]);
  });

  it('x86 SRAR machine check record, kill_me_maybe line and the old "Killing" wording', async () => {
    const r = await importSource(fx('x86-srar-killing.log'), { host: 'x86-07' });
    expect(r.events.map(row)).toEqual([{
      event_id: 1n, host: 'x86-07', t_ns: 5_000_100_000_000n, arch: 'x86_64', notify: 'mce', firmware_first: false,
      severity: 'recoverable', sync: true, ripv: true, pa: 0x3f9c7b400, page: 'anon', pinned: false, poisoned_before: false,
      context: 'user', pid: 2315, tid: 2315, comm: 'einj_mem_uc', vaddr: -1, early_kill: -1, recovery: -1,
      where: `${fx('x86-srar-killing.log')}: line 2`,
    }]);
    expect(r.events[0]!.note).toContain('Action required: data load (SRAR)');
    const o = r.observed[0]!;
    expect(o.inferred).toEqual(['mem', 'page', 'page_shift', 'pinned', 'poisoned_before', 'pid', 'tid', 'comm', 'vaddr', 'mappers',
      'guest_ras', 'early_kill', 'recovery', 'panic_on_oops', 'kdump', 'panic_on_unrecoverable', 'extra_refs', 'vendor']);
    expect(o).toMatchObject({ panic: false, panicMsg: null, mfType: 'dirty LRU page', mfResult: 'Recovered' });
    expect(o.signals).toEqual([{ pid: 2315, tid: 2315, signo: 7, siCode: null, addr: null, lsb: null }]);
  });

  it('fatal machine check followed by the panic line', async () => {
    const r = await importSource(fx('x86-fatal-panic.log'));
    expect(r.events.map(row)).toEqual([{
      event_id: 1n, host: 'x86-fatal-panic', t_ns: 812_000_000_000n, arch: 'x86_64', notify: 'mce', firmware_first: false,
      severity: 'fatal', sync: false, ripv: false, pa: 0x12345000, page: 'unknown', pinned: false, poisoned_before: false,
      context: 'none', pid: 0, tid: 0, comm: '', vaddr: -1, early_kill: -1, recovery: -1, where: `${fx('x86-fatal-panic.log')}: line 2`,
    }]);
    expect(r.observed[0]).toMatchObject({ panic: true, panicMsg: 'Fatal local machine check', mfType: null, mfResult: null, signals: null });
    expect(r.observed[0]!.inferred).toContain('host');
    expect(r.observed[0]!.inferred).not.toContain('ripv');
  });

  it('seed 000: the same kernel lines, "signal 7 code 5" before and "code 4" after; replays agree with pre and post', async () => {
    const before = await importSource(fx('seed000-before.log'), { host: 'arm-01' });
    const after = await importSource(fx('seed000-after.log'), { host: 'arm-01' });
    for (const r of [before, after]) {
      expect(r.events.map(row)).toEqual([{
        event_id: 1n, host: 'arm-01', t_ns: 311_245_801_000n, arch: 'arm64', notify: 'sea', firmware_first: true,
        severity: 'recoverable', sync: true, ripv: true, pa: 0x4092d55b400, page: 'anon', pinned: false, poisoned_before: false,
        context: 'user', pid: 3000, tid: 3000, comm: 'einj_mem_uc', vaddr: 0xffffb0d75400, early_kill: 1, recovery: -1,
        where: `${r === before ? fx('seed000-before.log') : fx('seed000-after.log')}: line 7`,
      }]);
      expect(r.observed[0]!.inferred).toEqual(['arch', 'notify', 'sync', 'ripv', 'mem', 'page', 'page_shift', 'pinned', 'poisoned_before',
        'context', 'tid', 'mappers', 'guest_ras', 'recovery', 'panic_on_oops', 'kdump', 'panic_on_unrecoverable', 'extra_refs', 'vendor']);
      expect(r.observed[0]).toMatchObject({ panic: false, mfType: 'dirty LRU page', mfResult: 'Recovered' });
      expect(r.events[0]!.note).toContain('einj_mem_uc: page not present');
    }
    expect(before.observed[0]!.signals).toEqual([{ pid: 3000, tid: 3000, signo: 7, siCode: 5, addr: 0xffffb0d75000, lsb: null }]);
    expect(after.observed[0]!.signals).toEqual([{ pid: 3000, tid: 3000, signo: 7, siCode: 4, addr: 0xffffb0d75000, lsb: null }]);
    // The imported row replays to what each machine showed: AO under pre, AR under post.
    const [pre] = replayEvents(before.events, [builtinProfile('pre')]);
    const [post] = replayEvents(after.events, [builtinProfile('post')]);
    expect(pre!.signals.map((s) => [s.pid, s.signo, s.si_code, s.addr])).toEqual([[3000, 7, 5, 0xffffb0d75000]]);
    expect(post!.signals.map((s) => [s.pid, s.signo, s.si_code, s.addr])).toEqual([[3000, 7, 4, 0xffffb0d75000]]);
    expect([pre!.mf_type, pre!.mf_result]).toEqual(['dirty LRU page', 'Recovered']);
  });

  it('groups by pfn and time, assigns ids in time order, and reads syslog hosts', async () => {
    const d = mkdtempSync(join(tmpdir(), 'ras-import-'));
    const f = join(d, 'journal.log');
    writeFileSync(f, [
      'Mar  5 10:00:02 b-host kernel: Memory failure: 0x2000: recovery action for free buddy page: Recovered',
      'Mar  5 10:00:01 a-host kernel: mce: Uncorrected hardware memory error in user-access at 1000123',
      'Mar  5 10:00:01 a-host kernel: Memory failure: 0x1000: Sending SIGBUS to app:77 due to hardware memory corruption',
      'Mar  5 10:00:01 a-host kernel: Memory failure: 0x1000: Sending SIGBUS to app:77 due to hardware memory corruption',
      'Mar  5 10:00:01 a-host kernel: Memory failure: 0x1000: recovery action for dirty LRU page: Recovered',
      'Mar  5 10:00:40 a-host kernel: Memory failure: 0x1000: already hardware poisoned',
      'Mar  5 10:00:40 a-host kernel: Memory failure: 0x1000: recovery action for already poisoned page: Failed',
      'Mar  5 10:00:50 a-host kernel: Memory failure: 0x3000: memory outside kernel control',
      'Mar  5 10:00:51 a-host systemd[1]: Started something.',
    ].join('\n'));
    const r = await importSource(f);
    expect(r.events.map((e) => [e.eventId, e.host, e.tNs, e.pa, PAGE[e.page], e.poisonedBefore, e.where.replace(`${f}: `, '')])).toEqual([
      [1n, 'a-host', 1_000n * 1_000_000n * 36001n, 0x1000123, 'anon', false, 'line 2'],
      [2n, 'a-host', 1_000n * 1_000_000n * 36040n, 0x1000000, 'anon', false, 'line 6'],
      [3n, 'a-host', 1_000n * 1_000_000n * 36050n, 0x3000000, 'unknown', false, 'line 8'],
      [4n, 'b-host', 1_000n * 1_000_000n * 36002n, 0x2000000, 'free', false, 'line 1'],
    ].map(([id, h, t, ...rest]) => [id, h, BigInt(Date.UTC(1970, 2, 5, 10, 0, 0)) * 1_000_000n + (t as bigint) - 36000n * 1_000_000_000n, ...rest]));
    // The second SIGBUS to the same thread within the event is coalesced (conventions C5).
    expect(r.observed[0]!.signals).toEqual([{ pid: 77, tid: 77, signo: 7, siCode: null, addr: null, lsb: null }]);
    expect(r.events[0]!.note).toContain('second SIGBUS');
    expect(r.observed[1]).toMatchObject({ mfType: 'already poisoned page', mfResult: 'Failed', signals: null });
    expect(r.events[2]!.mem).toBe(2); // device_unregistered
    expect(r.observed[2]).toMatchObject({ mfType: null, panic: false });
    expect(r.observed.map((o) => o.inferred.includes('host'))).toEqual([false, false, false, false]);
  });

  it('a GHES record that stops before its severity is a located InputError', async () => {
    const e = await expectInputError(importSource(fx('ghes-truncated.log')), /ghes-truncated\.log: line 1: the CPER record of APEI source 2 that starts at line 1 ends at line 1: expected "\{3\}\[Hardware Error\]: event severity:/);
    expect(e.row).toBe('line 1');
  });

  it('a log cut right after a memory section header is a located InputError', async () => {
    await expectInputError(importSource(fx('ghes-cut-at-eof.log')), /ghes-cut-at-eof\.log: line 3: .* ends with the file right after its memory section header: expected the memory section's fields/);
  });

  it('a malformed known line is an InputError naming the line and the expected form', async () => {
    await expectInputError(importSource(fx('garbage.log')), /garbage\.log: line 2: memory_failure result "Maybe": expected Ignored, Failed, Delayed or Recovered/);
    const d = mkdtempSync(join(tmpdir(), 'ras-import-'));
    const f = join(d, 'bad-mce.log');
    writeFileSync(f, '[  1.0] mce: [Hardware Error]: CPU 3: Machine Check Exception: zz Bank 1: bd80000000100134\n');
    await expectInputError(importSource(f), /bad-mce\.log: line 1: machine check record .*: expected "CPU %d: Machine Check%s: %Lx Bank %d: %016Lx"/);
    writeFileSync(f, '{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 1\n{1}[Hardware Error]: event severity: recoverable\n{1}[Hardware Error]:  Error 0, type: recoverable\n{1}[Hardware Error]:   section_type: memory error\n{1}[Hardware Error]:   physical_address: 0xZZ\n');
    await expectInputError(importSource(f, { format: 'kernel-log' }), /line 5: physical address "0xZZ": expected a hexadecimal address/);
  });

  it('unrelated lines are ignored; a log without RAS lines imports to nothing', async () => {
    const d = mkdtempSync(join(tmpdir(), 'ras-import-'));
    const f = join(d, 'quiet.log');
    writeFileSync(f, '[    0.000000] Linux version 6.6.0\n[    1.000000] random: crng init done\n');
    const r = await importSource(f, { format: 'kernel-log' });
    expect(r.events).toEqual([]);
    await expectInputError(importSource(f), /unknown source format/);
  });
});

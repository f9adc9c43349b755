// Kernel wordings across versions and the kernel's print order (docs/import.md): each test imports
// lines copied from a real log (the source is cited: the posts the real-log corpus cites, commit
// messages) beside a synthetic variant, and checks what the lines state. The expectations come from
// the lines themselves and the kernel code that prints them, not from the importer's output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSource } from '../../src/import/index.js';
import { CONTEXT, KIND, NOTIFY, PAGE, SEVERITY } from '../../src/model/enums.js';

const dir = mkdtempSync(join(tmpdir(), 'ras-wordings-'));
let k = 0;
async function imp(lines: string[]) {
  const f = join(dir, `w${k++}.log`);
  writeFileSync(f, `${lines.join('\n')}\n`);
  return importSource(f, { format: 'kernel-log' });
}

describe('wordings', () => {
  it("x86 do_sigbus 'MCE: Killing … fault at' is a kind=access event with SIGBUS BUS_MCEERR_AR at the fault address", async () => {
    // Tony Luck, "mm, hwpoison: Try to recover from copy-on write faults" cover letter (LKML, 2022).
    const r = await imp([
      '[ 1647.723403] mce: [Hardware Error]: Machine check events logged',
      '[ 1647.723414] MCE: Killing einj_mem_uc:3600 due to hardware memory corruption fault at 7f3309503400',
      '[ 1647.735183] Memory failure: 0x905b92d: recovery action for dirty LRU page: Recovered',
    ]);
    expect(r.events.map((e) => KIND[e.kind])).toEqual(['access', 'error']);
    const a = r.events[0]!;
    expect([a.pid, a.comm, a.vaddr, a.pa]).toEqual([3600, 'einj_mem_uc', 0x7f3309503400, 0x905b92d400]);
    expect(r.observed[0]!.signals).toEqual([{ pid: 3600, tid: 3600, signo: 7, siCode: 4, addr: 0x7f3309503400, lsb: null }]);
    // Without any line naming the page the access cannot be replayed: a warning, no event.
    const lone = await imp(['[    5.000000] MCE: Killing app:77 due to hardware memory corruption fault at 1000']);
    expect(lone.events).toEqual([]);
    expect(lone.warnings.join('\n')).toMatch(/page-fault SIGBUS to app:77 at 0x1000: no memory error of this host in the log names the page; not replayed/);
  });

  it("2.6.32 kill_proc_ao 'Killing … early' is BUS_MCEERR_AO; the legacy 'MCE 0x…: … page recovery:' result", async () => {
    // Andi Kleen's hwpoison test run, 2.6.32 (the corpus's 16-x86-2009-early-kill-then-late-kills.log).
    const r = await imp([
      '        [   58.091878] MCE 0xb4365: Killing copy_to_user_te:3768 early due to hardware memory corruption',
      '        [   58.092010] MCE 0xb4365: dirty LRU page recovery: Recovered',
    ]);
    expect(r.observed[0]).toMatchObject({ mfType: 'dirty LRU page', mfResult: 'Recovered', signals: [{ pid: 3768, tid: 3768, signo: 7, siCode: 5, addr: null, lsb: null }] });
  });

  it('2.6-era machine check record: MCG_STATUS header, the Bank line apart, the old panic wording', async () => {
    // OpenVZ forum post, 2.6.18 (the corpus's 35-x86-2.6-openvz-syslog-mce-cpu-context-corrupt.log).
    const r = await imp([
      'Jul  9 12:19:41 vz01 kernel: CPU 0: Machine Check Exception: 0000000000000004',
      'Jul  9 12:19:41 vz01 kernel: Bank 4: b604a00100000813 at 000000007e4f2f68',
      'Jul  9 12:19:41 vz01 kernel: Kernel panic: CPU context corrupt',
    ]);
    expect(r.events).toHaveLength(1);
    const e = r.events[0]!;
    // b604a00100000813: VAL, UC, EN, ADDRV, PCC -> "Processor context corrupt" (severity.c); MCIP set.
    expect([e.host, SEVERITY[e.severity], NOTIFY[e.notify], e.pa]).toEqual(['vz01', 'fatal', 'mce', 0x7e4f2f68]);
    expect(r.observed[0]).toMatchObject({ panic: true, panicMsg: 'CPU context corrupt' });
  });

  it('a handler panic with no record of its error is a fatal event of its own', async () => {
    // RHEL 6 console (the corpus's 29-x86-rhel6-fatal-machine-check-panic.log, line 1).
    const r = await imp(['Kernel panic - not syncing: Fatal Machine check', 'Pid: 0, comm: swapper Tainted: G M ---------------- 2.6.32-220.el6.x86_64 #1']);
    expect(r.events.map((e) => [SEVERITY[e.severity], NOTIFY[e.notify]])).toEqual([['fatal', 'mce']]);
    expect(r.observed[0]).toMatchObject({ panic: true, panicMsg: 'Fatal Machine check' });
  });

  it("EDAC: sb_edac's decode of the machine check and the EDAC core's CE line are one corrected error", async () => {
    // radiasoft/devops issue 134 (the corpus's 12-x86-syslog-edac-sbridge-ce.log).
    const r = await imp([
      'Feb 23 03:28:16 kernel: EDAC sbridge MC1: HANDLING MCE MEMORY ERROR',
      'Feb 23 03:28:16 kernel: EDAC sbridge MC1: CPU 1: Machine Check Event: 0 Bank 11: 8c00004f000800c2',
      'Feb 23 03:28:16 kernel: EDAC sbridge MC1: TSC 0',
      'Feb 23 03:28:16 kernel: EDAC sbridge MC1: ADDR ee30a0000',
      'Feb 23 03:28:16  kernel: EDAC MC1: 1 CE memory scrubbing error on CPU_SrcID#1_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0xee30a0 offset:0x0 grain:32 syndrome:0x0 -  area:DRAM err_code:0008:00c2 socket:1 ha:0 channel_mask:1 rank:0)',
    ]);
    expect(r.events.map((e) => [SEVERITY[e.severity], e.pa])).toEqual([['corrected', 0xee30a0000]]);
    // An EDAC line alone (edac_mc.c "%d UE %s%son %s (%s page:0x%lx offset:0x%lx grain:%ld%s%s)").
    const ue = await imp(['[  100.000000] EDAC MC0: 1 UE memory read error on DIMM_A1 (channel:0 slot:0 page:0x1234 offset:0x80 grain:32 - err_code:0x0101:0x0090)']);
    expect(ue.events.map((e) => [SEVERITY[e.severity], e.sync, e.pa])).toEqual([['recoverable', false, 0x1234080]]);
  });

  it("edac_mce_amd's 'MCn_STATUS[…]: 0x…' decode behind syslogd's console broadcast", async () => {
    // The corpus's 31-x86-amd-syslogd-wall-nb-ecc.log (syslogd "Message from syslogd@host at …").
    const r = await imp([
      'Message from syslogd@heracles at Nov  7 21:00:02 ...',
      ' kernel:[Hardware Error]: MC4_STATUS[Over|CE|MiscV|-|AddrV|-|-|CECC]: 0xdc10410040080a13    ',
      '',
      'Message from syslogd@heracles at Nov  7 21:00:02 ...',
      ' kernel:[Hardware Error]: Northbridge Error (node 4): DRAM ECC error detected on the NB.',
    ]);
    expect(r.events.map((e) => [e.host, SEVERITY[e.severity]])).toEqual([['heracles', 'corrected']]);
    expect(r.unrecognized).toBe(0);
  });

  it('arm64 v4.x do_sea line: the GHES record after it is the same synchronous error', async () => {
    // The corpus's 02-arm64-qemu-guest-sea-ghes.log (QEMU guest SEA, 4.x kernel).
    const r = await imp([
      '[ 1552.516170] Synchronous External Abort: synchronous external abort (0x92000410) at 0x000000003751c6b4',
      '[ 1553.074073] {1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 8',
      '[ 1553.081654] {1}[Hardware Error]: event severity: recoverable',
      '[ 1554.034191] {1}[Hardware Error]:  Error 0, type: recoverable',
      '[ 1554.037934] {1}[Hardware Error]:   section_type: memory error',
      '[ 1554.513261] {1}[Hardware Error]:   physical_address: 0x0000000040fa6000',
      '[ 1555.041451] Memory failure: 0x40fa6: Killing mca-recover:1296 due to hardware memory corruption',
      '[ 1555.373116] Memory failure: 0x40fa6: recovery action for dirty LRU page: Recovered',
    ]);
    expect(r.events).toHaveLength(1);
    const e = r.events[0]!;
    expect([NOTIFY[e.notify], e.sync, e.firmwareFirst, CONTEXT[e.context], e.pa, e.vaddr]).toEqual(['sea', true, true, 'user', 0x40fa6000, 0x3751c6b4]);
    expect(r.observed[0]!.signals).toEqual([{ pid: 1296, tid: 1296, signo: 7, siCode: null, addr: null, lsb: null }]);
  });

  it("kill_me_maybe's 'Memory error not recovered' takes the already-poisoned call; the racing UCNA result is its own event", async () => {
    // Commit 046545a661af "mm/hwpoison: fix error page recovered but reported "not recovered"" (its console log).
    const r = await imp([
      '  mce: Uncorrected hardware memory error in user-access at 3710b3400',
      '  Memory failure: 0x3710b3: recovery action for dirty LRU page: Recovered',
      '  Memory failure: 0x3710b3: already hardware poisoned',
      '  Memory failure: 0x3710b3: Sending SIGBUS to einj_mem_uc:361438 due to hardware memory corruption',
      '  mce: Memory error not recovered',
    ]);
    const byLine = new Map(r.events.map((e, i) => [e.where.replace(/.*: /, ''), i]));
    const mce = byLine.get('line 1')!;
    const ucna = byLine.get('line 2')!;
    expect(r.events[mce]!.pa).toBe(0x3710b3400);
    // The page was poisoned by the UCNA call of the same log: not poisoned before the capture.
    expect(r.events[mce]!.poisonedBefore).toBe(false);
    expect(r.observed[mce]).toMatchObject({ mfType: null, mfResult: null });
    // kill_proc's SIGBUS and kill_me_now's force_sig(SIGBUS) to the same task: coalesced (conventions C5).
    expect(r.observed[mce]!.signals).toEqual([{ pid: 361438, tid: 361438, signo: 7, siCode: null, addr: null, lsb: null }]);
    expect(r.observed[ucna]).toMatchObject({ mfType: 'dirty LRU page', mfResult: 'Recovered', signals: [] });
  });

  it('printk caller ids name the consumer of kill_me_maybe lines (task work of the consumer): no synthetic pid', async () => {
    const r = await imp([
      '[ 1419.542401][ T593001] mce: Uncorrected hardware memory error in user-access at 2fc6d5400',
      '[ 1419.542452][ T593001] Memory failure: 0x2fc6d5: recovery action for dirty LRU page: Recovered',
    ]);
    expect([r.events[0]!.pid, r.observed[0]!.inferred.includes('pid')]).toEqual([593001, false]);
    // Without a caller id the consumer is not named: a synthetic pid (docs/import.md), never 0.
    const bare = await imp(['[ 1.0] mce: Uncorrected hardware memory error in user-access at 2fc6d5400', '[ 1.1] mce: Memory error not recovered']);
    expect(bare.events[0]!.pid).toBeGreaterThanOrEqual(4_194_304);
    expect(bare.observed[0]!.signals!.every((s) => s.pid === bare.events[0]!.pid)).toBe(true);
  });

  it('madvise injection lines give vaddr, also when a mail client wrapped them', async () => {
    // The corpus's 24-hugetlb-read-hwpoison-selftest-wrapped.log (lines 8-12).
    const r = await imp([
      '[    9.280854] Injecting memory failure for pfn 0x102f01 at process virtual',
      'address 0x7f28ec101000',
      '[    9.282029] Memory failure: 0x102f01: huge page still referenced by 511',
      'users',
      '[    9.282987] Memory failure: 0x102f01: recovery action for huge page: Failed',
    ]);
    expect(r.events.map((e) => [e.vaddr, e.pa])).toEqual([[0x7f28ec101000, 0x102f01000]]);
    expect(r.observed[0]).toMatchObject({ mfType: 'huge page', mfResult: 'Failed' });
    expect(r.unrecognized).toBe(0);
  });

  it('a madvise injection is notify madvise, made by the task the kill line names (corpus log 34)', async () => {
    // 34-x86-syzkaller-unsplit-thp-sigbus-then-gpf.log lines 1-3 (v6.16): madvise_inject_error() runs
    // memory_failure() in the injecting task, so "Sending SIGBUS to repro:668" is the injector itself.
    const r = await imp([
      '[   48.166741] Injecting memory failure for pfn 0x28c00 at process virtual address 0x20ffc000',
      '[   48.167878] Memory failure: 0x28c00: Sending SIGBUS to repro:668 due to hardware memory corruption',
      '[   48.169079] Memory failure: 0x28c00: recovery action for unsplit thp: Failed',
    ]);
    const e = r.events[0]!;
    expect([NOTIFY[e.notify], SEVERITY[e.severity], e.sync, CONTEXT[e.context], e.pid, e.comm, e.vaddr]).toEqual(['madvise', 'recoverable', false, 'user', 668, 'repro', 0x20ffc000]);
    // With no kill line (before v6.11, late kill) the injector is not named: a synthetic pid, never 0.
    const bare = await imp(['[ 1.0] Injecting memory failure for pfn 0x28c00 at process virtual address 0x20ffc000', '[ 1.1] Memory failure: 0x28c00: recovery action for dirty LRU page: Recovered']);
    expect([NOTIFY[bare.events[0]!.notify], bare.events[0]!.pid >= 4_194_304]).toEqual(['madvise', true]);
  });

  it('madvise(MADV_SOFT_OFFLINE) lines: a request of the calling task (caller id), and what soft_offline_page printed', async () => {
    // The corpus's 41-soft-offline-madvise-hugepage-isolation-failed.log lines 17-18 and 22-23 (next-20200803).
    const r = await imp([
      '[  637.169493][ T8357] Soft offlining pfn 0x119720 at process virtual address 0x7fff9f000000',
      '[  637.169603][ T8357] soft offline: 0x119720: hugepage isolation failed: 0, page count 2, type 7fff800001000e (referenced|uptodate|dirty|head)',
      '[  637.172101][ T8357] Soft offlining pfn 0x201c8f00 at process virtual address 0x7fff9f000000',
      '[  637.172241][ T8357] __get_any_page: 0x201c8f00: unknown zero refcount page type 87fff8000000000',
    ]);
    expect(r.events.map((e) => [NOTIFY[e.notify], SEVERITY[e.severity], e.sync, CONTEXT[e.context], e.pid, e.vaddr, e.pa])).toEqual([
      ['madvise_soft_offline', 'corrected', false, 'user', 8357, 0x7fff9f000000, 0x119720000],
      ['madvise_soft_offline', 'corrected', false, 'user', 8357, 0x7fff9f000000, 0x201c8f00000],
    ]);
    // "hugepage isolation failed": a hugetlb page that could not be moved (pinned, the model's cause);
    // get_any_page's "unknown zero refcount page type": a page it cannot handle (-EIO).
    expect(r.events.map((e) => [PAGE[e.page], e.pinned])).toEqual([['hugetlb', true], ['unknown', false]]);
    // Soft offline never signals: the log would show a kill line, and shows none.
    expect(r.observed.map((o) => o.signals)).toEqual([[], []]);
    expect(r.unrecognized).toBe(0);
    // v6.11+ wordings (pr_fmt "Soft offline: "), the pre-v6.11 "Memory failure: " prefix, a THP,
    // an already poisoned page after its memory_failure(), the sysctl refusal; no caller id: synthetic pid.
    const v = await imp([
      '[ 1.0] Soft offlining pfn 0x1000 at process virtual address 0x7f0000000000',
      '[ 1.1] Soft offline: 0x1000: thp split failed',
      '[ 2.0] Memory failure: 0x2000: recovery action for dirty LRU page: Recovered',
      '[ 2.5] Soft offlining pfn 0x2000 at process virtual address 0x7f0000200000',
      '[ 2.6] Memory failure: soft_offline_page: 0x2000 page already poisoned',
      '[ 3.0] Soft offlining pfn 0x3000 at process virtual address 0x7f0000400000',
      '[ 3.1] Soft offline: disabled by /proc/sys/vm/enable_soft_offline',
      '[ 4.0] Soft offlining pfn 0x4000 at process virtual address 0x7f0000600000',
      '[ 4.1] Soft offline: 0x4000: page already poisoned',
    ]);
    // The memory_failure() line of 0x2000 is an event of its own (a memory_failure() call, not the
    // soft offline); it poisoned the page, so the later "page already poisoned" is no poisoned_before.
    expect(v.events.map((e) => NOTIFY[e.notify] === 'madvise_soft_offline')).toEqual([true, false, true, true, true]);
    expect(v.observed[1]).toMatchObject({ mfType: 'dirty LRU page', mfResult: 'Recovered' });
    const so = v.events.filter((e) => NOTIFY[e.notify] === 'madvise_soft_offline');
    expect(so.map((e) => [PAGE[e.page], e.pageShift, e.pinned, e.poisonedBefore])).toEqual([
      ['anon_thp', 21, true, false],
      ['anon', 12, false, false],
      ['anon', 12, false, false],
      ['anon', 12, false, true],
    ]);
    expect(v.events[0]!.pid).toBeGreaterThanOrEqual(4_194_304);
    expect(v.warnings.join('\n')).toMatch(/line 7: vm\.enable_soft_offline is 0 on host/);
    expect(v.unrecognized).toBe(0);
  });

  it('a soft offline line wrapped by a mail client joins its address; a result with no request is counted, not guessed', async () => {
    // Naoya Horiguchi's report (linux-mm, 2019-09-11, "[ 2612.596154] Soft offlining pfn 0x1d000 at process virtual address" / "0x700000000000").
    const r = await imp([
      '[ 2612.596154] Soft offlining pfn 0x1d000 at process virtual address',
      '0x700000000000',
      '[ 2637.164222] soft offline: 0x118ee0: hugepage isolation failed: 0, page count 2, type 7fff800001000e (referenced|uptodate|dirty|head)',
    ]);
    expect(r.events.map((e) => [NOTIFY[e.notify], e.vaddr, e.pa])).toEqual([['madvise_soft_offline', 0x700000000000, 0x1d000000]]);
    expect(r.unrecognized).toBe(1);
    expect(r.unrecognizedLines[0]!.line).toBe(3);
  });

  it('a boot-logged record is graded without the exception-only rules (machine_check_poll)', async () => {
    // The corpus's 13-x86-syslog-boot-mce-not-enabled.log: a600000000020408 is VAL, UC, ADDRV, PCC with
    // EN clear and MCG_STATUS 0. severities[] "Not enabled" is EXCP-only; polled, it grades PANIC
    // ("Processor context corrupt").
    const r = await imp([
      'Sep 16 19:51:15 kernel: [    0.064265] mce: [Hardware Error]: CPU 0: Machine Check: 0 Bank 4: a600000000020408',
      'Sep 16 19:51:15 kernel: [    0.064270] mce: [Hardware Error]: TSC 0 ADDR fef4c9e0 ',
      'Sep 16 19:51:15 kernel: [    0.064277] mce: [Hardware Error]: PROCESSOR 0:706a1 TIME 1537152664 SOCKET 0 APIC 0 microcode 28',
      'Sep 16 19:51:15 mcelog[987]: mcelog: Family 6 Model 122 CPU: only decoding architectural errors',
    ]);
    expect(r.events.map((e) => SEVERITY[e.severity])).toEqual(['fatal']);
    // MCG_STATUS 0 (no MCIP): machine_check_poll read the bank, so notify poll, not consumed.
    expect([NOTIFY[r.events[0]!.notify], r.events[0]!.sync]).toEqual(['poll', false]);
    expect(r.events[0]!.note).toContain('a polled/boot-logged record: the kernel only logged it');
    // The same record taken in the exception handler (MCIP set): "Not enabled", no event.
    const excp = await imp(['[ 1.0] mce: [Hardware Error]: CPU 0: Machine Check: 5 Bank 4: a600000000020408']);
    expect(excp.events).toEqual([]);
    expect(excp.warnings.join('\n')).toMatch(/EN is clear in a machine check/);
  });

  it('a vendor-specific CPER section is reported, not replayed', async () => {
    const r = await imp([
      '[  5.000000] {2}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 1',
      '[  5.000001] {2}[Hardware Error]: event severity: corrected',
      '[  5.000002] {2}[Hardware Error]:  Error 0, type: corrected',
      '[  5.000003] {2}[Hardware Error]:   section type: unknown, 2826cc9f-448c-4c2b-86b6-a95394b7ef33',
      '[  5.000004] {2}[Hardware Error]:   section length: 0x30',
    ]);
    expect(r.events).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(/line 3: CPER section "unknown" of the record at line 1: recognised, not replayed/);
  });
});

describe('ras-mc-ctl text', () => {
  it('--errors: MCE events and memory controller events are records; --summary counts are reported only', async () => {
    const f = join(dir, 'ras-mc-ctl.txt');
    writeFileSync(f, [
      'sudo ras-mc-ctl --errors',
      'No Memory errors.',
      '',
      'MCE events:',
      // The corpus's 30-x86-amd-ras-mc-ctl-errors.log, line 15 (the poster cut the timestamp to "..").
      '1 .. error: Corrected error, no action required., CPU 2, bank Unified Memory Controller (bank=21), mcg mcgstatus=0, mci Error_overflow CECC, memory_channel=0,csrow=2, mcgcap=0x0000011d, status=0xdc2040000400011b, addr=0x7d41b7940, misc=0xd01a00060100',
      '',
      'Memory controller events:',
      '1 2024-03-05 10:11:12 +0000 1 Uncorrected error(s): memory read error at DIMM_A1 location: 0:0:0:-1, addr 4660, grain 7, syndrome 0',
      'Memory controller events summary:',
      '\tCorrected on DIMM Label(s): \'DIMM_A1\' location: 0:0:0:-1 errors: 1',
    ].join('\n'));
    const r = await importSource(f);
    expect(r.format).toBe('ras-mc-ctl');
    // The record without a timestamp keeps its line number as t_ns (inferred), so it sorts first.
    expect(r.events.map((e) => [SEVERITY[e.severity], e.pa])).toEqual([['corrected', 0x7d41b7940], ['recoverable', 4660]]);
    expect(r.observed[0]!.inferred).toContain('t_ns');
    expect(r.warnings.join('\n')).toMatch(/1 summary line\(s\) \(ras-mc-ctl --summary: counts only\): nothing to replay/);
  });
});

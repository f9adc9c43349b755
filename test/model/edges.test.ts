// Rules at the edges of the model, each with its expectation from the kernel source or the spec.
import { describe, expect, it } from 'vitest';
import { profile, replay, sigs } from '../helpers.js';

const ARM = { arch: 'arm64', notify: 'sea', severity: 'recoverable', sync: true, pa: '0x4000000', page: 'anon', context: 'user', pid: 100, tid: 101, vaddr: '0xffff00001000' };
const X86 = { arch: 'x86_64', notify: 'mce', severity: 'recoverable', sync: true, pa: '0x1234000', page: 'anon', context: 'user', pid: 200, tid: 201, vaddr: '0x7f0000001234' };

describe('edges', () => {
  it('a consumer whose process was SIGKILLed does not re-execute (no SEA loop)', () => {
    // Before v6.11, kill_procs(fail) SIGKILLs the collected leader: the whole thread group exits.
    const [r] = replay([{ ...ARM, pinned: true, mappers: '100:early' }], 'pre');
    expect(sigs(r!)).toEqual(['100/100:9:128:-']);
    expect(r!.reboot_loop).toBe(false);
  });

  it('a hugetlb page whose unmap failed stays poisoned for the next error', () => {
    const a = { ...X86, page: 'hugetlb', page_shift: 21, pinned: true, t_ns: 1 };
    const b = { arch: 'x86_64', notify: 'cmci', severity: 'deferred', sync: false, pa: '0x1234000', page: 'hugetlb', page_shift: 21, t_ns: 2 };
    const [, r2] = replay([a, b], 'pre');
    expect(r2!.mf_ret).toBe(-133); // TestSetPageHWPoison already set
  });

  it('hugetlb replay state covers the whole huge page', () => {
    const ao = { arch: 'x86_64', notify: 'mce', severity: 'recoverable', sync: false, pa: '0x40200000', page: 'hugetlb', page_shift: 21, mappers: '300:late', t_ns: 1 };
    const touch = { arch: 'x86_64', kind: 'access', pa: '0x40345000', page: 'hugetlb', page_shift: 21, context: 'user', pid: 300, vaddr: '0x7f0000345000', t_ns: 2 };
    const [, r2] = replay([ao, touch], 'pre');
    expect(sigs(r2!)).toEqual(['300/300:7:4:21']); // VM_FAULT_HWPOISON_LARGE: hstate shift
  });

  it('notify sea must be synchronous', () => {
    expect(() => replay([{ ...ARM, sync: false, context: 'none' }], 'pre')).toThrow(/column sync.*synchronous external abort/);
  });

  it('a coredumping process takes no SIGBUS, not even the GHES force kill', () => {
    const [r] = replay([{ ...ARM, context: 'kernel_copy_mc', pa: '' }], 'post');
    expect(r!.signals).toEqual([]);
  });

  it('the kick path queues into the kfifo first: a full fifo drops the SEA (loop before seed 000)', () => {
    const pending = Array.from({ length: 16 }, (_, i) => ({ arch: 'arm64', notify: 'sdei', severity: 'recoverable', sync: false, pa: `0x${(0x8000000 + i * 0x1000).toString(16)}`, page: 'anon', t_ns: 1000 + i }));
    const rows = replay([...pending, { ...ARM, t_ns: 2000 }], 'pre');
    const sea = rows[rows.length - 1]!;
    expect(sea.mf_type).toBe(null);
    expect(sea.reboot_loop).toBe(true);
  });

  it('memory_failure running twice reports the first call (arm64 COW after seed 004)', () => {
    const [r] = replay([{ ...ARM, context: 'kernel_cow', tid: 100 }], 'post');
    expect([r!.mf_type, r!.mf_result, r!.mf_ret]).toEqual(['dirty LRU page', 'Recovered', 0]);
  });

  it('a recovery=0 panic leaves mf_type, mf_result and mf_ret null', () => {
    const [r] = replay([{ ...X86, recovery: 0 }], 'pre');
    expect([r!.mf_type, r!.mf_result, r!.mf_ret, r!.panic]).toEqual([null, null, null, true]);
  });

  it('kill_accessing_process finding nothing: -EFAULT -> SI_KERNEL before v6.15, 0 and no signal after', () => {
    // The CMCI wins the race: the clean page-cache page is dropped, then the SRAR's kill_me_maybe
    // finds it already poisoned and no PTE in the consumer.
    const cmci = { arch: 'x86_64', notify: 'cmci', severity: 'deferred', sync: false, pa: '0x1234000', page: 'file_clean', mappers: '200:late', t_ns: 1 };
    const srar = { ...X86, page: 'file_clean', t_ns: 2 };
    const [, pre] = replay([cmci, srar], 'pre');
    expect(pre!.mf_ret).toBe(-14);
    expect(sigs(pre!)).toEqual(['200/201:7:128:-']);
    const [, v619] = replay([cmci, srar], 'linux-6.19');
    expect(v619!.mf_ret).toBe(0);
    expect(v619!.signals).toEqual([]);
    const [, flipped] = replay([cmci, srar], profile('pre', { switches: { kill_accessing_not_found_ok: true } }));
    expect(flipped!.signals).toEqual([]);
  });

  it('an SRAO with RIPV clear is "Neither restart nor error IP": panic', () => {
    const [r] = replay([{ ...X86, sync: false, context: 'none', ripv: false }], 'pre');
    expect(r!.panic_msg).toBe('Fatal machine check');
    expect(r!.path).toBe('x86.mce.panic.no_restart_ip');
  });

  it('a kernel uaccess on an unmapped poisoned page fails with -EFAULT, no signal', () => {
    const ao = { arch: 'x86_64', notify: 'cmci', severity: 'deferred', sync: false, pa: '0x1234000', page: 'anon', mappers: '200:late', t_ns: 1 };
    const copyin = { arch: 'x86_64', kind: 'access', pa: '0x1234000', page: 'anon', context: 'kernel_copyin', pid: 200, vaddr: '0x7f0000001000', t_ns: 2 };
    const [, r] = replay([ao, copyin], 'pre');
    expect(r!.path).toBe('access.kernel.efault');
    expect(r!.signals).toEqual([]);
  });

  it('the GHES estatus cache forgets a record after 10 s', () => {
    const a = { ...ARM, pinned: true, t_ns: 1_000_000_000, mappers: '100:late;300:late' };
    const b = { ...ARM, pinned: true, t_ns: 12_000_000_000, pid: 300, tid: 300, mappers: '100:late;300:late' };
    const [, r2] = replay([a, b], 'post');
    expect(r2!.path).not.toBe('ghes.estatus_cached');
  });
});

// Each seed's before/after claim, with expectations written from the seed text and
// docs/kernel-model.md (cited per test), not from the model's output.
import { describe, expect, it } from 'vitest';
import { profile, replay, sigs } from '../helpers.js';

const ARM_USER = { arch: 'arm64', notify: 'sea', severity: 'recoverable', sync: true, pa: '0x4092d55b400', page: 'anon', context: 'user', pid: 100, tid: 100, vaddr: '0xffffb0d75400' };

describe('seed 000: GHES synchronous errors', () => {
  it('einj_mem_uc single with early kill: code 5 before, code 4 after, at the page address', () => {
    // Seed 000 cover letter: "signal 7 code 5 addr 0xffffb0d75000" before, "code 4" after.
    const ev = [{ ...ARM_USER, early_kill: 1 }];
    const [pre] = replay(ev, 'pre');
    const [post] = replay(ev, 'post');
    expect(sigs(pre!)).toEqual(['100/100:7:5:12']);
    expect(pre!.signals[0]!.addr).toBe(0xffffb0d75000);
    expect(sigs(post!)).toEqual(['100/100:7:4:12']);
    expect(post!.signals[0]!.addr).toBe(0xffffb0d75000);
  });

  it('a late consumer refaults on the hwpoison entry before; gets AR from task work after', () => {
    // kernel-model §3 table row "Dirty anon, late consumer": pre AR at the exact address (refault),
    // post AR at the page address (kill_proc tk->addr).
    const [pre] = replay([ARM_USER], 'pre');
    const [post] = replay([ARM_USER], 'post');
    expect(sigs(pre!)).toEqual(['100/100:7:4:12']);
    expect(pre!.signals[0]!.addr).toBe(0xffffb0d75400);
    expect(sigs(post!)).toEqual(['100/100:7:4:12']);
    expect(post!.signals[0]!.addr).toBe(0xffffb0d75000);
  });

  it('memory_failure failing before try_to_unmap (KSM, before v6.4): SEA loop before, forced SIGBUS after', () => {
    // Seed 000 point 2; kernel-model §3 row "Unmap fails / unsplit THP / KSM (<6.4)".
    const ev = [{ ...ARM_USER, page: 'ksm' }];
    const [pre] = replay(ev, profile('pre', { switches: { ksm_memory_failure: false } }));
    const [post] = replay(ev, profile('post', { switches: { ksm_memory_failure: false } }));
    expect(pre!.reboot_loop).toBe(true);
    expect(pre!.signals).toEqual([]);
    expect(post!.reboot_loop).toBe(false);
    expect(sigs(post!)).toEqual(['100/100:7:128:-']); // memory_failure_cb: force_sig(SIGBUS)
  });

  it('no valid PA and invalid PA: loop before, SI_KERNEL after', () => {
    // kernel-model §3 rows "No VALID_PA" and "Invalid PA".
    for (const ev of [{ ...ARM_USER, pa: '' }, { ...ARM_USER, mem: 'none' }]) {
      const [pre] = replay([ev], 'pre');
      const [post] = replay([ev], 'post');
      expect(pre!.reboot_loop).toBe(true);
      expect(sigs(post!)).toEqual(['100/100:7:128:-']);
      expect(post!.reboot_loop).toBe(false);
    }
  });

  it('an already poisoned page still mapped: loop before, kill_accessing_process AR after', () => {
    const ev = [{ ...ARM_USER, poisoned_before: true }];
    const [pre] = replay(ev, 'pre');
    const [post] = replay(ev, 'post');
    expect(pre!.reboot_loop).toBe(true);
    expect(sigs(post!)).toEqual(['100/100:7:4:12']);
    expect(post!.mf_ret).toBe(-133);
  });
});

describe('seed 001: KVM arm64 early and late notification of the VMM', () => {
  const guest = { ...ARM_USER, context: 'guest', pid: 500, tid: 501, vaddr: '0xffff80001000', mappers: '500:early' };

  it('guest consumption: AO to the QEMU main thread then late AR to the vCPU before; AR to the vCPU after', () => {
    // kernel-model §5 "Pre-000" and "Post-000"; QEMU ignores AO and injects vSEA on AR.
    const [pre] = replay([guest], 'pre');
    const [post] = replay([guest], 'post');
    expect(sigs(pre!)).toEqual(['500/500:7:5:12', '500/501:7:4:12']);
    expect(pre!.guest_action).toBe('vsea');
    expect(sigs(post!)).toEqual(['500/501:7:4:12']);
    expect(post!.guest_action).toBe('vsea');
  });

  it('without guest RAS support the VMM exits on AR', () => {
    const [post] = replay([{ ...guest, guest_ras: false }], 'post');
    expect(post!.guest_action).toBe('vmm_exit');
  });

  it('early AO on a scrubbed error, then the late AR when the guest touches the page (2M hugetlb)', () => {
    const scrub = { arch: 'arm64', notify: 'sdei', severity: 'recoverable', sync: false, pa: '0x80200000', page: 'hugetlb', page_shift: 21, context: 'guest', pid: 500, vaddr: '0xffff80200000', mappers: '500:early' };
    const touch = { arch: 'arm64', kind: 'access', pa: '0x80200000', page: 'hugetlb', page_shift: 21, context: 'guest', pid: 500, tid: 501, vaddr: '0xffff80200000' };
    for (const p of ['pre', 'post']) {
      const [early, late] = replay([scrub, touch], p);
      expect(sigs(early!)).toEqual(['500/500:7:5:21']);
      expect(early!.guest_action).toBe('ignored');
      expect(sigs(late!)).toEqual(['500/501:7:4:21']); // kvm_send_hwpoison_signal(hva, vma_shift)
      expect(late!.guest_action).toBe('vsea');
    }
  });

  it('x86: the late EPT path always reports PAGE_SHIFT', () => {
    const scrub = { arch: 'x86_64', notify: 'mce', severity: 'recoverable', sync: false, pa: '0x80200000', page: 'hugetlb', page_shift: 21, context: 'guest', pid: 500, mappers: '500:early' };
    const touch = { arch: 'x86_64', kind: 'access', pa: '0x80200000', page: 'hugetlb', page_shift: 21, context: 'guest', pid: 500, tid: 501, vaddr: '0x7f0000200000' };
    const [early, late] = replay([scrub, touch], 'pre');
    expect(sigs(early!)).toEqual(['500/500:7:5:21']);
    expect(early!.guest_action).toBe('vmce'); // x86 QEMU injects AO as SRAO when the guest has MCG_SER_P
    expect(sigs(late!)).toEqual(['500/501:7:4:12']);
  });
});

describe('seed 002: PG_hwpoison before mce_panic', () => {
  const fatal = { arch: 'x86_64', notify: 'mce', severity: 'fatal', sync: true, pa: '0x1234000', page: 'kernel', context: 'kernel_copyout', pid: 10 };
  it('vmcore incomplete before, complete after', () => {
    const [pre] = replay([fatal], 'pre');
    const [post] = replay([fatal], 'post');
    expect(pre!.panic_msg).toBe('Fatal machine check');
    expect(pre!.vmcore).toBe('incomplete');
    expect(post!.vmcore).toBe('complete');
    expect(post!.poisoned).toBe(true);
  });
  it('does not help without ADDRV, without kdump, or for the memory_failure_recovery=0 panic', () => {
    expect(replay([{ ...fatal, pa: '' }], 'post')[0]!.vmcore).toBe('incomplete');
    expect(replay([{ ...fatal, kdump: false }], 'post')[0]!.vmcore).toBe('none');
    const ucna = { arch: 'x86_64', notify: 'cmci', severity: 'deferred', sync: false, pa: '0x1234000', page: 'anon', recovery: 0 };
    const [r] = replay([ucna], 'post');
    expect(r!.panic_msg).toBe('Memory failure on page 1234');
    expect(r!.vmcore).toBe('incomplete');
  });
});

describe('seed 003: PFNs without struct page', () => {
  const x86dev = { arch: 'x86_64', notify: 'mce', severity: 'recoverable', sync: true, pa: '0x40000000000', mem: 'device', page: 'pfnmap', context: 'user', pid: 200, tid: 201, vaddr: '0x7f0000001000', mappers: '300:early' };
  it('x86: memory outside kernel control before; AR to current and AO to early mappers after', () => {
    const [pre] = replay([x86dev], 'pre');
    expect(pre!.mf_ret).toBe(-6);
    expect(pre!.mf_type).toBe(null);
    expect(sigs(pre!)).toEqual(['200/201:7:128:-']); // kill_me_maybe -> kill_me_now
    const [post] = replay([x86dev], 'post');
    expect(post!.mf_type).toBe('non struct page pfn');
    expect(post!.mf_result).toBe('Recovered');
    expect(post!.unmapped).toBe(false);
    expect(sigs(post!).sort()).toEqual(['200/201:7:4:12', '300/300:7:5:12']);
  });
  it('x86: an unregistered PFN is Ignored after: SI_KERNEL', () => {
    const [post] = replay([{ ...x86dev, mem: 'device_unregistered' }], 'post');
    expect(post!.mf_result).toBe('Ignored');
    expect(sigs(post!)).toEqual(['200/201:7:128:-']);
  });
  it('arm64: "Invalid address" loop before; AR after', () => {
    const ev = { ...ARM_USER, mem: 'device', page: 'pfnmap' };
    expect(replay([ev], 'pre')[0]!.reboot_loop).toBe(true);
    expect(sigs(replay([ev], 'post')[0]!)).toEqual(['100/100:7:4:12']);
  });
});

describe('seed 004: arm64 copy_mc', () => {
  it('COW and copy_from_user consumption panic before and kill only the user after', () => {
    const cow = { ...ARM_USER, context: 'kernel_cow' };
    const copyin = { ...ARM_USER, context: 'kernel_copyin' };
    for (const ev of [cow, copyin]) {
      const [pre] = replay([ev], 'pre');
      expect(pre!.panic).toBe(true);
      expect(pre!.panic_msg).toBe('synchronous external abort: Fatal exception');
      const [post] = replay([ev], 'post');
      expect(post!.panic).toBe(false);
      expect(sigs(post!)).toEqual(['100/100:7:4:12']);
      expect(post!.poisoned).toBe(true);
    }
    // COW: VM_FAULT_HWPOISON reports the exact fault address.
    expect(replay([cow], 'post')[0]!.signals[0]!.addr).toBe(0xffffb0d75400);
  });
  it('patch 6 makes the consumer see BUS_OBJERR first', () => {
    const [r] = replay([{ ...ARM_USER, context: 'kernel_copyin' }], profile('post', { switches: { arm64_sea_objerr: true } }));
    expect(sigs(r!)).toEqual(['100/100:7:3:-']);
  });
});

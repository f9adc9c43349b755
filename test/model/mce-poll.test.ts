// Records machine_check_poll logs (kernel-model §2): a fatal-graded bank read by the poll timer,
// CMCI or at boot (banks left from the previous boot) is logged and never panics. Expectations from
// arch/x86/kernel/cpu/mce/core.c and severity.c, identical at v5.10, v6.1, v6.6, v6.12 and today:
//  - machine_check_poll(): "Log \"not enabled\" (speculative) errors" / "log_it:" ...
//    m->severity = mce_severity(m, NULL, NULL, false); then mce_log() (or mce_gen_pool_add() with
//    MCP_QUEUE_LOG, 3bff147b187d "x86/mce: Defer processing of early errors", v5.15); no mce_panic:
//    "Note: spec recommends to panic for fatal unsignalled errors here ... so we skip this for now".
//  - __mcheck_cpu_init_clear_banks(): machine_check_poll(MCP_UC, &all_banks) at CPU bring-up, so a
//    bank left from before the reset is logged (UC included, MCP_UC).
//  - uc_decode_notifier(): "if (!mce || !mce_usable_address(mce)) return NOTIFY_DONE;
//    if (mce->severity != MCE_AO_SEVERITY && mce->severity != MCE_DEFERRED_SEVERITY) return NOTIFY_DONE;"
//    so a PANIC grade (PCC) never reaches memory_failure().
//  - severity.c: MCESEV(NO, "Not enabled", EXCP, BITCLR(MCI_STATUS_EN)) applies only in the
//    exception handler; MCESEV(PANIC, "Processor context corrupt", BITSET(MCI_STATUS_PCC)) grades it.
import { describe, expect, it } from 'vitest';
import { decodeMca } from '../../src/import/common.js';
import { replay } from '../helpers.js';

const PROFILES = ['linux-5.10', 'linux-6.1', 'linux-6.6', 'linux-6.12', 'pre', 'post'];
/** A PCC record with an address on an anonymous page that an early-kill process maps. */
const PCC = { arch: 'x86_64', severity: 'fatal', sync: false, pa: '0x1234000', page: 'anon', mappers: '300:early' };

describe('x86: fatal-graded records machine_check_poll logged (§2)', () => {
  for (const p of PROFILES) {
    it(`${p}: notify poll and cmci are logged only: no panic, no memory_failure, no signal`, () => {
      for (const notify of ['poll', 'cmci']) {
        const [r] = replay([{ ...PCC, notify }], p);
        expect(r!.path).toBe('x86.mca.poll.uc_logged');
        expect(r!.panic).toBe(false);
        expect(r!.mf_result).toBeNull();
        expect(r!.poisoned).toBe(false);
        expect(r!.signals).toEqual([]);
      }
    });
  }

  it('the same record in a machine check (notify mce) panics: "Processor context corrupt" -> mce_reign/no_way_out -> mce_panic', () => {
    const [r] = replay([{ ...PCC, notify: 'mce' }], 'post');
    expect(r!.path).toBe('x86.mce.panic.pcc');
    expect(r!.panic_msg).toBe('Fatal machine check');
  });

  it('AMD: the poller and uc_decode_notifier do not depend on the vendor (mce_severity_amd grades PCC PANIC)', () => {
    const [r] = replay([{ ...PCC, notify: 'poll', vendor: 'amd' }], 'post');
    expect(r!.path).toBe('x86.mca.poll.uc_logged');
    expect(r!.panic).toBe(false);
  });

  it('the page is not marked poisoned (no memory_failure ran): a later access finds a healthy page', () => {
    const touch = { arch: 'x86_64', kind: 'access', pa: '0x1234000', page: 'anon', context: 'user', pid: 300, vaddr: '0x7f0000001000', t_ns: 2 };
    const [, r2] = replay([{ ...PCC, notify: 'poll', t_ns: 1 }, touch], 'post');
    expect(r2!.path).toBe('access.no_poison');
  });

  it('a polled fatal record cannot be synchronous (a consumed error is notified by mce)', () => {
    expect(() => replay([{ ...PCC, notify: 'poll', sync: true, context: 'user', pid: 300 }], 'post')).toThrow(/sync|notify/);
  });
});

describe('import: decodeMca grades polled and boot-logged records as the poller does', () => {
  const MCIP = 0x4n;
  const RIPV = 0x1n;
  it('log 13 (a600000000020408, MCG_STATUS 0: VAL UC ADDRV PCC, EN clear): fatal, notify poll, not consumed, kept', () => {
    const m = decodeMca(0xa600000000020408n, 0n, 0xfef4c9e0n, null, false);
    expect(m.skip).toBeNull();
    expect([m.severity, m.notify, m.sync, m.inMce]).toEqual(['fatal', 'poll', false, false]);
  });
  it('the same status with MCIP set is dropped: "Not enabled" is an EXCP rule', () => {
    expect(decodeMca(0xa600000000020408n, MCIP | RIPV, 0xfef4c9e0n, null, false).skip).toMatch(/EN is clear/);
  });
  it('log 36 (AMD bea0000000000108, MCG_STATUS 0: PCC): fatal, notify poll', () => {
    const m = decodeMca(0xbea0000000000108n, 0n, 0x1ffff8fd156d6n, null, true);
    expect([m.severity, m.notify, m.sync]).toEqual(['fatal', 'poll', false]);
  });
  it('a PCC record in a machine check keeps notify mce (log 26/27 shape: MCG_STATUS 5)', () => {
    const m = decodeMca(0xbe00000000800400n, MCIP | RIPV, null, null, false);
    expect([m.severity, m.notify]).toEqual(['fatal', 'mce']);
  });
  it('SRAR with lost events (OVER|UC|EN|S|AR) read by the poller: fatal, poll, not consumed', () => {
    const m = decodeMca(0xfd80000000000134n, 0n, 0x1234000n, null, false);
    expect([m.severity, m.notify, m.sync]).toEqual(['fatal', 'poll', false]);
  });
});

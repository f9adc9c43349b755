// x86 native machine check (arch/x86/kernel/cpu/mce/{core,severity}.c; kernel-model §2).
// The trace gives graded severities; the MCi_STATUS bits they stand for are: recoverable + sync =
// SRAR (UC=S=AR=1, data load), recoverable + !sync = SRAO (UC=S=1, AR=0) on a machine check or UCNA
// on CMCI/polling, deferred = UCNA, fatal = PCC=1. ADDRV = pa present. EIPV = sync (the error IP is
// valid for a consumed error, not for one found by scrubbing); RIPV from the trace.
import { Ctx, MF_ACTION_REQUIRED, MF_MUST_KILL, NotModelledError } from './ctx.js';
import { Context, EHWPOISON, EOPNOTSUPP, Mem, Notify, Page, Severity, SI_KERNEL, SIGBUS, Vendor } from './enums.js';
import { CEC_COUNT_MASK, CEC_MAX_ELEMS, PageState } from './state.js';
import { memoryFailure, flagNames } from './memory-failure.js';
import { mfQueue, softOfflineQueue } from './ghes.js';
import { definePath, PanicMsg } from './record.js';
import { userRefault } from './fault.js';

const P = {
  corrected: definePath('x86.mca.corrected'),
  cec: definePath('x86.mca.corrected.cec'),
  cecOffline: definePath('x86.mca.corrected.cec.soft_offline'),
  pollLogged: definePath('x86.mca.poll.uc_logged'),
  ucnaNoAddr: definePath('x86.mca.ucna.no_addr'),
  ucna: definePath('x86.mca.ucna.memory_failure'),
  aoNoAddr: definePath('x86.mce.ao.no_addr'),
  ao: definePath('x86.mce.ao.memory_failure'),
  panicPcc: definePath('x86.mce.panic.pcc'),
  panicNoIp: definePath('x86.mce.panic.no_restart_ip'),
  panicKernelNoRip: definePath('x86.mce.panic.kernel_no_restart_ip'),
  panicUnknownMcacod: definePath('x86.mce.panic.ar_no_addr'),
  panicKernel: definePath('x86.mce.panic.kernel_unrecoverable'),
  panicConsecutive: definePath('x86.mce.panic.consecutive'),
  consecutiveSame: definePath('x86.mce.ar.consecutive_same_page'),
  killMeMaybe: definePath('x86.mce.ar.user.kill_me_maybe'),
  killMeMaybeGuest: definePath('x86.mce.ar.guest.kill_me_maybe'),
  killMeNever: definePath('x86.mce.ar.kernel_copyin.kill_me_never'),
  cow: definePath('x86.mce.ar.kernel_cow.copy_mc'),
  coredump: definePath('x86.mce.ar.kernel_copy_mc.coredump'),
  kthread: definePath('x86.mce.ar.kthread_copy_mc.queue'),
};

/** The severity message (severities[] name) for a panic, as "[Hardware Error]: Machine check: %s". */
function severityLog(c: Ctx, msg: string): void {
  if (c.x) c.log(`mce: [Hardware Error]: Machine check: ${msg}`);
}

/**
 * mce_panic(msg, final, exp): with seed 002, a crash kernel loaded and an ADDRV record whose pfn is
 * an online page, PG_hwpoison is set first so the capture kernel skips the page.
 */
export function mcePanic(c: Ctx, msg: number): void {
  const ev = c.ev;
  if (c.profile.switches.mce_panic_hwpoison && c.kdump && ev.pa >= 0 && c.isRam() && ev.page !== Page.dax /* ZONE_DEVICE: not an online page */) {
    c.step('mce_panic: kexec_crash_loaded() && ADDRV && online pfn: SetPageHWPoison before panic (seed 002)');
    c.out.poisoned = true;
    if (c.hs.pageState(c.spfn) === PageState.HEALTHY) c.hs.setPageState(c.spfn, PageState.POISONED_MAPPED);
  }
  c.panic(msg);
}

function fatalMc(c: Ctx): number {
  return c.profile.host.lmce ? PanicMsg.FATAL_LOCAL_MC : PanicMsg.FATAL_MC;
}

export function x86Error(c: Ctx): void {
  const ev = c.ev;
  const out = c.out;
  if (ev.notify !== Notify.mce && ev.notify !== Notify.cmci && ev.notify !== Notify.poll) {
    throw new NotModelledError(`x86 notify ${ev.notify} reached the native MCA path`);
  }
  const hasAddr = ev.pa >= 0;
  if (ev.severity === Severity.fatal && ev.notify !== Notify.mce) {
    polledFatal(c);
    return;
  }
  // mce_severity(): AMD and Hygon use mce_severity_amd, which returns KEEP for a corrected
  // (UC=0, not deferred) error like the Intel table; everything else it grades its own way.
  if (ev.vendor === Vendor.amd && ev.severity !== Severity.corrected) {
    throw new NotModelledError('AMD MCA grading of uncorrected and deferred errors (mce_severity_amd: deferred errors, SMCA, PHYSADDRV); vendor amd is modelled for corrected errors only');
  }
  switch (ev.severity) {
    case Severity.corrected:
      // UC=0: "Corrected error" / "Non signaled machine check" -> KEEP: logged, no action here,
      // unless RAS_CEC collects it (cec_add_mce on the mce decode chain).
      if (c.profile.host.cec_threshold > 0 && hasAddr) {
        rasCec(c);
        return;
      }
      c.step('corrected error: logged (KEEP severity), no memory_failure');
      out.path = P.corrected;
      return;
    case Severity.fatal:
      // "Processor context corrupt" (PCC=1) -> PANIC; mce_reign/no_way_out -> mce_panic.
      severityLog(c, 'Processor context corrupt');
      out.path = P.panicPcc;
      mcePanic(c, fatalMc(c));
      return;
    case Severity.unknown:
      throw new NotModelledError('severity "unknown" on native x86 MCA (only GHES records have an unknown CPER severity)');
    default:
      break;
  }
  const ucna = ev.severity === Severity.deferred || (!ev.sync && ev.notify !== Notify.mce);
  if (ucna) {
    // "Uncorrected no action required" (UCNA/deferred) via CMCI or polling: uc_decode_notifier
    // -> memory_failure(pfn, 0) from the mce work (a kworker) when the address is usable.
    if (!hasAddr) {
      c.step('UCNA without a usable address: logged only');
      out.path = P.ucnaNoAddr;
      return;
    }
    out.path = P.ucna;
    c.setCurrentKworker();
    memoryFailure(c, 0);
    return;
  }
  if (!ev.sync) {
    // SRAO through the machine check handler. EIPV=0 for an error found out of context, so a
    // cleared RIPV matches "Neither restart nor error IP" -> PANIC.
    if (!ev.ripv) {
      severityLog(c, 'Neither restart nor error IP');
      out.path = P.panicNoIp;
      mcePanic(c, fatalMc(c));
      return;
    }
    // "Action optional: memory scrubbing error" -> AO: do_machine_check returns (worst != AR, RIPV
    // set); uc_decode_notifier -> memory_failure(pfn, 0).
    if (!hasAddr) {
      c.step('SRAO without a usable address: logged only');
      out.path = P.aoNoAddr;
      return;
    }
    out.path = P.ao;
    c.setCurrentKworker();
    memoryFailure(c, 0);
    return;
  }
  srar(c);
}

/**
 * A fatal-graded record that no machine check raised (notify cmci or poll): machine_check_poll
 * read it from a bank, from the poll timer, CMCI, or at boot from banks left over from before the
 * reset (__mcheck_cpu_init_clear_banks -> machine_check_poll(MCP_UC, ...), MCP_QUEUE_LOG since
 * 3bff147b187d, v5.15). The poller grades it with mce_severity(m, ..., false), logs it (mce_log or
 * mce_gen_pool_add) and clears the bank; it has no panic ("spec recommends to panic for fatal
 * unsignalled errors here ... so we skip this for now"). On the decode chain uc_decode_notifier
 * calls memory_failure() only for MCE_AO_SEVERITY and MCE_DEFERRED_SEVERITY (= UCNA) with a usable
 * address; a PANIC grade (PCC, no SER_P, AR with lost events) is neither. The same from v5.10 to
 * today (kernel-model §2): no profile switch.
 */
function polledFatal(c: Ctx): void {
  c.step('machine_check_poll: a fatal-graded record logged outside a machine check; the poller never panics and uc_decode_notifier acts only on AO/deferred grades: no memory_failure');
  c.out.path = P.pollLogged;
}

/**
 * cec_add_mce -> cec_add_elem(pfn) (drivers/ras/cec.c): a correctable memory error with a usable
 * address is counted per pfn; at action_threshold the element is deleted and, for a valid pfn,
 * memory_failure_queue(pfn, MF_SOFT_OFFLINE) runs soft_offline_page in a kworker.
 */
function rasCec(c: Ctx): void {
  const threshold = Math.min(c.profile.host.cec_threshold, CEC_COUNT_MASK);
  const count = c.hs.cecAdd(c.pfn);
  if (count < 0) {
    throw new NotModelledError(`RAS_CEC with more than ${CEC_MAX_ELEMS} distinct pfns on one host (the kernel evicts its least recently used element by decay generation)`);
  }
  c.out.path = P.cec;
  if (count < threshold) {
    if (c.x) c.step(`RAS_CEC: pfn ${c.hex(c.pfn)} has ${count} corrected error(s), threshold ${threshold}`);
    return;
  }
  c.hs.cecDelete(c.pfn);
  // pfn_valid(): System RAM (and ZONE_DEVICE memory, which has a memmap) passes.
  if (c.ev.mem !== Mem.ram) {
    if (c.x) c.log(`RAS: CEC: Invalid pfn: ${c.hex(c.pfn)}`);
    return;
  }
  if (c.x) c.log(`RAS: Soft-offlining pfn: ${c.hex(c.pfn)}`);
  if (softOfflineQueue(c)) c.out.path = P.cecOffline;
}

/** SRAR: a consumed error, graded by error_context() (in user, in kernel, in recoverable kernel). */
function srar(c: Ctx): void {
  const ev = c.ev;
  const out = c.out;
  const ctx = ev.context;
  const inUser = ctx === Context.user || ctx === Context.guest; // kvm_machine_check fakes cs=3
  if (!inUser && !ev.ripv) {
    // error_context: !mc_recoverable -> IN_KERNEL; "In kernel and no restart IP" -> PANIC.
    severityLog(c, 'In kernel and no restart IP');
    out.path = P.panicKernelNoRip;
    mcePanic(c, fatalMc(c));
    return;
  }
  if (ev.pa < 0) {
    // The AR entries require ADDRV|MISCV (MCI_ADDR); without them "Action required: unknown
    // MCACOD" -> PANIC.
    severityLog(c, 'Action required: unknown MCACOD');
    out.path = P.panicUnknownMcacod;
    mcePanic(c, fatalMc(c));
    return;
  }
  switch (ctx) {
    case Context.user:
    case Context.guest: {
      // "Action required: data load error in a user process" -> AR; queue_task_work(kill_me_maybe).
      if (!queueTaskWork(c)) return;
      out.path = ctx === Context.guest ? P.killMeMaybeGuest : P.killMeMaybe;
      killMeMaybe(c);
      if (!out.panic) userRefault(c);
      return;
    }
    case Context.kernel_copyin:
      // EX_TYPE_UACCESS from a user source: MCE_IN_KERNEL_COPYIN|RECOV -> fixup_exception, then
      // queue_task_work(kill_me_never).
      if (!queueTaskWork(c)) return;
      out.path = P.killMeNever;
      c.step('in-kernel copy from user: fixup_exception, then kill_me_never');
      if (c.x) c.log(`mce: Kernel accessed poison in user space at ${ev.pa.toString(16)}`);
      memoryFailure(c, 0);
      return;
    case Context.kernel_cow:
      // copy_mc_user_highpage (EX_TYPE_DEFAULT_MCE_SAFE) -> MCE_IN_KERNEL_RECOV, fixup. The COW
      // fault returns VM_FAULT_HWPOISON (do_sigbus: AR at the fault address), and
      // copy_mc_user_highpage queued memory_failure(pfn, 0) for a kworker.
      out.path = P.cow;
      c.step('COW copy_mc fails: VM_FAULT_HWPOISON; memory_failure_queue(pfn, 0)');
      c.deliver(ev.pid, ev.tid, SIGBUS, 4, c.exactAddr(), c.faultLsb());
      mfQueue(c, 0);
      return;
    case Context.kernel_copy_mc:
      // dump_user_range: copy_mc_to_kernel fails and the page is skipped. No task work and no
      // memory_failure_queue on this path, so the page is not isolated.
      out.path = P.coredump;
      c.step('coredump copy_mc fails: page skipped; no memory_failure');
      return;
    case Context.kthread_copy_mc:
      // khugepaged collapse aborted (SCAN_COPY_MC); since v6.11 copy_mc_user_highpage queues
      // memory_failure(pfn, 0) itself.
      out.path = P.kthread;
      c.step('kernel thread copy_mc fails: collapse aborted');
      if (c.profile.switches.copy_mc_mf_queue) mfQueue(c, 0);
      return;
    case Context.kernel_copyout:
    case Context.kernel_other:
      // IN_KERNEL: "Data load in unrecoverable area of kernel" -> PANIC.
      severityLog(c, 'Data load in unrecoverable area of kernel');
      out.path = P.panicKernel;
      mcePanic(c, fatalMc(c));
      return;
    default:
      throw new NotModelledError(`a synchronous x86 error with context ${ctx}`);
  }
}

/**
 * queue_task_work(): more than 10 machine checks before the task work runs, or a second one on a
 * different page, panic; a second one on the same page adds no task work. Returns true when this
 * machine check queues the task work.
 */
function queueTaskWork(c: Ctx): boolean {
  const e = c.hs.mceEnter(c.ev.tid, c.pfn, c.ev.tNs, c.profile.host.mce_task_work_window_ns);
  const count = e.count;
  const firstPfn = e.pfn;
  if (count > 10) {
    c.out.path = P.panicConsecutive;
    mcePanic(c, PanicMsg.TOO_MANY_MC);
    return false;
  }
  if (count > 1 && firstPfn !== c.pfn) {
    c.out.path = P.panicConsecutive;
    mcePanic(c, PanicMsg.MC_DIFFERENT_PAGES);
    return false;
  }
  if (count > 1) {
    if (c.x) c.step(`machine check #${count} on the same page before task work ran: no new task work`);
    c.out.path = P.consecutiveSame;
    return false;
  }
  return true;
}

/**
 * kill_me_maybe (task work in the consumer): memory_failure(pfn, MF_ACTION_REQUIRED [|MF_MUST_KILL
 * if !RIPV]). 0: set_mce_nospec. -EHWPOISON/-EOPNOTSUPP: the signal was already sent. Anything
 * else: "Memory error not recovered" -> kill_me_now -> force_sig(SIGBUS) (SI_KERNEL).
 */
function killMeMaybe(c: Ctx): void {
  const ev = c.ev;
  const flags = MF_ACTION_REQUIRED | (ev.ripv ? 0 : MF_MUST_KILL);
  if (c.x) c.log(`mce: Uncorrected hardware memory error in user-access at ${ev.pa.toString(16)}`);
  c.setCurrentConsumer();
  if (c.x) c.step(`kill_me_maybe: memory_failure with ${flagNames(flags)}`);
  const ret = memoryFailure(c, flags);
  if (c.out.panic) return;
  if (ret === 0 || ret === EHWPOISON || ret === EOPNOTSUPP) return;
  if (c.x) c.log('mce: Memory error not recovered');
  if (c.x) c.step(`memory_failure returned ${ret}: kill_me_now`);
  c.deliver(ev.pid, ev.tid, SIGBUS, SI_KERNEL, -1, -1);
}

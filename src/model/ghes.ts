// APEI GHES (drivers/acpi/apei/ghes.c; kernel-model §3) and memory_failure_queue (§1e).
// One trace event is one CPER record with one memory-error section.
//
// Where memory_failure runs for a recoverable record with a valid PA:
//   | kernel                           | SEA, consumer has an mm                | async, or no mm  |
//   | pre-000 (<= v6.6)               | queue + kick: consumer context, flags 0 | kworker, flags 0 |
//   | 000 patch 1 only (v6.8..v6.14)  | queue + kick: consumer, MF_AR           | kworker, MF_AR for SEA / 0 |
//   | 000 (v6.17+)                    | task work memory_failure_cb, MF_AR      | kworker          |
// `ghes_kick_in_kworker` models the other outcome of the kick race (the kworker runs first).
import { Ctx, MF_ACTION_REQUIRED } from './ctx.js';
import { EHWPOISON, EOPNOTSUPP, Mem, Notify, Severity, SI_KERNEL, SIGBUS } from './enums.js';
import { memoryFailure, softOfflinePage } from './memory-failure.js';
import { definePath, PanicMsg } from './record.js';
import { commOf } from './kill.js';

export const GhesWork = { NONE: 0, TASK_WORK: 1, KICK: 2, KWORKER: 3, SOFT_OFFLINE: 4 } as const;

const P = {
  fatal: definePath('ghes.fatal'),
  cached: definePath('ghes.estatus_cached'),
  corrected: definePath('ghes.corrected'),
  softOffline: definePath('ghes.corrected.soft_offline'),
  noPa: definePath('ghes.no_valid_pa'),
  invalidPa: definePath('ghes.invalid_pa'),
  taskWork: definePath('ghes.task_work'),
  kick: definePath('ghes.queue_kick'),
  kworker: definePath('ghes.queue_kworker'),
  forceKill: definePath('ghes.sync_unrecoverable_sigbus'),
  unhandled: definePath('ghes.sync_unhandled'),
};

/**
 * The NMI-like entry (ghes_notify_sea / ghes_notify_sdei / ghes_notify_nmi ->
 * ghes_in_nmi_queue_one_entry): a fatal or unknown severity panics at queue time; a record
 * identical to a cached one younger than 10 s is acknowledged and dropped. IRQ-driven sources
 * (ghes_proc) check severity there too but always process the record.
 * Returns false when processing stops here (panic or dropped).
 */
export function ghesEntry(c: Ctx): boolean {
  const ev = c.ev;
  if (c.x) {
    c.log(`{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0`);
    c.log(`{1}[Hardware Error]: event severity: ${['corrected', 'recoverable', 'recoverable', 'fatal', 'unknown'][ev.severity]}`);
    if (ev.pa >= 0) c.log(`{1}[Hardware Error]:   physical_address: 0x${ev.pa.toString(16).padStart(16, '0')}`);
  }
  if (ev.severity === Severity.fatal || ev.severity === Severity.unknown) {
    // ghes_severity(): CPER_SEV_FATAL and any unknown value -> GHES_SEV_PANIC -> __ghes_panic.
    c.out.path = P.fatal;
    c.panic(PanicMsg.GHES_FATAL);
    return false;
  }
  const nmiLike = ev.notify === Notify.sea || ev.notify === Notify.sdei || ev.notify === Notify.nmi;
  if (nmiLike && c.hs.estatusCachedOrAdd(ev.pa, ev.severity, ev.tNs)) {
    c.step('identical record cached less than 10 s ago: acknowledged and dropped (ghes_estatus_cached)');
    c.out.path = P.cached;
    return false;
  }
  return true;
}

/**
 * ghes_do_proc() for the record: the memory section handling (ghes_handle_memory_failure ->
 * ghes_do_memory_failure) and, with seed 000, the force kill of an unhandled synchronous error.
 * Returns the deferred work (GhesWork); its flags are left in `c.ghesFlags`.
 */
export function ghesDoProc(c: Ctx, sync: boolean): number {
  const ev = c.ev;
  const sw = c.profile.switches;
  let work: number = GhesWork.NONE;
  c.ghesFlags = 0;
  if (ev.severity === Severity.corrected) {
    c.out.path = P.corrected;
    // CPER_SEC_ERROR_THRESHOLD_EXCEEDED on a corrected section -> MF_SOFT_OFFLINE (conventions C21).
    const limit = c.profile.host.fw_ce_threshold;
    if (ev.pa >= 0 && limit > 0 && c.hs.countCorrected(c.spfn) >= limit) {
      if (c.x) c.step(`corrected error count reached fw_ce_threshold=${limit}: CPER threshold exceeded -> soft offline`);
      work = GhesWork.SOFT_OFFLINE;
    }
  } else if (ev.pa < 0) {
    c.step('no CPER_MEM_VALID_PA: memory_failure not queued');
    c.out.path = P.noPa;
  } else if (!sw.mf_pfn_no_struct_page && ev.mem !== Mem.ram) {
    // Before seed 003: !pfn_valid(pfn) && !arch_is_platform_page() -> "Invalid address".
    if (c.x) c.log(`[Firmware Warn]: GHES: Invalid address in generic error data: 0x${ev.pa.toString(16)}`);
    c.out.path = P.invalidPa;
  } else {
    c.ghesFlags = sync && sw.ghes_sync_ar ? MF_ACTION_REQUIRED : 0;
    if (sw.ghes_task_work && c.ghesFlags === MF_ACTION_REQUIRED && c.curHasMm) {
      c.step('MF_ACTION_REQUIRED in a task with an mm: task_work_add(memory_failure_cb)');
      c.out.path = P.taskWork;
      work = GhesWork.TASK_WORK;
    } else if (!sw.ghes_task_work && sync && c.curHasMm && !c.profile.host.ghes_kick_in_kworker) {
      if (c.x) c.step(`memory_failure_queue(pfn, ${c.ghesFlags ? 'MF_ACTION_REQUIRED' : '0'}) + ghes_kick_task_work: drained in the consumer's context`);
      c.out.path = P.kick;
      work = GhesWork.KICK;
    } else {
      if (c.x) c.step(`memory_failure_queue(pfn, ${c.ghesFlags ? 'MF_ACTION_REQUIRED' : '0'}): runs in a kworker`);
      c.out.path = P.kworker;
      work = GhesWork.KWORKER;
    }
  }
  // ghes_do_memory_failure returns true for MF_SOFT_OFFLINE too.
  const queued = work !== GhesWork.NONE;
  if (sync && !queued) {
    if (sw.ghes_sync_force_kill && c.curHasMm) {
      if (c.x) c.log(`[Hardware Error]: GHES: ${commOf(c, c.ev.pid)}:${c.ev.pid}: synchronous unrecoverable error (SIGBUS)`);
      c.out.path = P.forceKill;
      c.deliver(ev.pid, ev.tid, SIGBUS, SI_KERNEL, -1, -1);
    } else if (ev.severity !== Severity.corrected) {
      c.out.path = P.unhandled;
    }
  }
  return work;
}

/** Run the work ghesDoProc deferred, in the context it runs in. */
export function ghesRunWork(c: Ctx, work: number): void {
  switch (work) {
    case GhesWork.NONE:
      return;
    case GhesWork.TASK_WORK: {
      // memory_failure_cb: on any result but 0, -EHWPOISON, -EOPNOTSUPP: force_sig(SIGBUS).
      c.setCurrentConsumer();
      const ret = memoryFailure(c, c.ghesFlags);
      if (c.out.panic || ret === 0 || ret === EHWPOISON || ret === EOPNOTSUPP) return;
      if (c.x) c.log(`${c.hex(c.pfn)}: Sending SIGBUS to ${commOf(c, c.ev.pid)}:${c.ev.pid} due to hardware memory corruption`);
      if (c.x) c.step(`memory_failure returned ${ret}: memory_failure_cb forces SIGBUS`);
      c.deliver(c.ev.pid, c.ev.tid, SIGBUS, SI_KERNEL, -1, -1);
      return;
    }
    case GhesWork.KICK:
      // memory_failure_queue puts the entry in the kfifo (a full one drops it); the kick then
      // drains the whole fifo in the consumer's context.
      if (!c.hs.mfQueue(c.ev.tNs, c.profile.host.mf_work_delay_ns)) return overflow(c);
      c.hs.mfDrain();
      c.setCurrentConsumer();
      memoryFailure(c, c.ghesFlags);
      return;
    case GhesWork.KWORKER:
      mfQueue(c, c.ghesFlags);
      return;
    case GhesWork.SOFT_OFFLINE:
      if (softOfflineQueue(c)) c.out.path = P.softOffline;
      return;
    default:
      throw new Error(`unknown GHES work ${work}`);
  }
}

/**
 * memory_failure_queue(pfn, flags): a 16-entry per-CPU kfifo drained by a kworker
 * (memory_failure_work_func, current->mm == NULL); a full fifo drops the error.
 */
export function mfQueue(c: Ctx, flags: number): void {
  if (!c.hs.mfQueue(c.ev.tNs, c.profile.host.mf_work_delay_ns)) return overflow(c);
  c.setCurrentKworker();
  memoryFailure(c, flags);
}

/**
 * memory_failure_queue(pfn, MF_SOFT_OFFLINE): the kworker runs soft_offline_page. Returns true
 * when the page was offlined (a full kfifo drops the request).
 */
export function softOfflineQueue(c: Ctx): boolean {
  if (!c.hs.mfQueue(c.ev.tNs, c.profile.host.mf_work_delay_ns)) {
    overflow(c);
    return false;
  }
  c.setCurrentKworker();
  return softOfflinePage(c);
}

function overflow(c: Ctx): void {
  if (c.x) c.log(`Memory failure: buffer overflow when queuing memory failure at 0x${c.pfn.toString(16)}`);
  c.step('memory_failure kfifo full: the error is dropped');
}

// The event and outcome records the model works on. They are mutable and reused: a replay loop
// fills one EventRecord per row from its columns, calls replayEvent(), and copies the Outcome and
// the new signal rows into its column buffers. No object is allocated per event.
import { GuestAction, Vmcore } from './enums.js';
import { grown } from './grow.js';

export const NO_ADDR = -1;
/** -1 in a per-event host setting means "take the profile's default". */
export const PROFILE_DEFAULT = -1;

export class EventRecord {
  eventId = 0;
  hostId = 0;
  tNs = 0;
  arch = 0;
  kind = 0;
  notify = 0;
  firmwareFirst = false;
  severity = 0;
  sync = false;
  ripv = true;
  /** Physical address, or NO_ADDR when the record carries none. */
  pa = NO_ADDR;
  mem = 0;
  page = 0;
  pageShift = 12;
  pinned = false;
  poisonedBefore = false;
  context = 0;
  pid = 0;
  tid = 0;
  comm = '';
  /** Consumer virtual address, or NO_ADDR. */
  vaddr = NO_ADDR;
  mapperCount = 0;
  mapperPid = new Uint32Array(16);
  mapperPolicy = new Uint8Array(16);
  guestRas = true;
  earlyKill = PROFILE_DEFAULT;
  recovery = PROFILE_DEFAULT;
  panicOnOops = PROFILE_DEFAULT;
  kdump = PROFILE_DEFAULT;
  /** vm.panic_on_unrecoverable_memory_failure (v7.3), or PROFILE_DEFAULT. */
  panicOnUnrecoverable = PROFILE_DEFAULT;
  /**
   * Someone outside the page's mappings holds a reference (has_extra_refcount), or an anonymous
   * hugetlb page cannot be dissolved: the page-state action reports Failed.
   */
  extraRefs = false;
  /** Vendor code (x86 only; intel for every arm64 row). */
  vendor = 0;

  clearMappers(): void {
    this.mapperCount = 0;
  }

  addMapper(pid: number, policy: number): void {
    if (this.mapperCount === this.mapperPid.length) {
      this.mapperPid = grown(this.mapperPid);
      this.mapperPolicy = grown(this.mapperPolicy);
    }
    this.mapperPid[this.mapperCount] = pid;
    this.mapperPolicy[this.mapperCount] = policy;
    this.mapperCount++;
  }
}

/** Signal rows of the current event, in delivery order (struct of arrays, grown on demand). */
export class SignalBuffer {
  count = 0;
  pid = new Uint32Array(16);
  tid = new Uint32Array(16);
  signo = new Uint8Array(16);
  siCode = new Uint8Array(16);
  /** NO_ADDR when the siginfo has no address. */
  addr = new Float64Array(16);
  /** -1 when the siginfo has no addr_lsb. */
  lsb = new Int8Array(16);

  clear(): void {
    this.count = 0;
  }

  push(pid: number, tid: number, signo: number, siCode: number, addr: number, lsb: number): void {
    if (this.count === this.pid.length) this.grow();
    const i = this.count++;
    this.pid[i] = pid;
    this.tid[i] = tid;
    this.signo[i] = signo;
    this.siCode[i] = siCode;
    this.addr[i] = addr;
    this.lsb[i] = lsb;
  }

  private grow(): void {
    this.pid = grown(this.pid);
    this.tid = grown(this.tid);
    this.signo = grown(this.signo);
    this.siCode = grown(this.siCode);
    this.addr = grown(this.addr);
    this.lsb = grown(this.lsb);
  }
}

export class Outcome {
  panic = false;
  /** Index into PANIC_MSGS, -1 for none. */
  panicMsg = -1;
  /** The pfn printed by "Memory failure on page %lx", when that is the panic. */
  panicPfn = 0;
  rebootLoop = false;
  vmcore = Vmcore.none;
  /** MfType code, -1 when memory_failure printed no result line. */
  mfType = -1;
  /** MfResult code, -1 when none. */
  mfResult = -1;
  /** true when memory_failure() ran and mfRet is meaningful. */
  mfRan = false;
  mfRet = 0;
  poisoned = false;
  unmapped = false;
  guestAction = GuestAction.none;
  /** Index into PATH_NAMES. */
  path = 0;
  readonly signals = new SignalBuffer();

  reset(): void {
    this.panic = false;
    this.panicMsg = -1;
    this.panicPfn = 0;
    this.rebootLoop = false;
    this.vmcore = Vmcore.none;
    this.mfType = -1;
    this.mfResult = -1;
    this.mfRan = false;
    this.mfRet = 0;
    this.poisoned = false;
    this.unmapped = false;
    this.guestAction = GuestAction.none;
    this.path = 0;
    this.signals.clear();
  }
}

/** Receives the decision steps and kernel log lines of one event (explain). Null in batch replay. */
export interface Explain {
  step(text: string): void;
  log(line: string): void;
}

// Panic strings (kernel-model §8). Index = Outcome.panicMsg.
export const PANIC_MSGS = [
  'Fatal machine check',
  'Fatal local machine check',
  'Too many consecutive machine checks while accessing user data',
  'Consecutive machine checks to different user pages',
  'Memory failure on page %lx',
  'GHES: Fatal hardware error',
  'synchronous external abort: Fatal exception',
  'Asynchronous SError Interrupt',
  'Unable to handle kernel NULL pointer dereference: Fatal exception',
  'Memory failure: %#lx: unrecoverable page',
] as const;
export const PanicMsg = {
  FATAL_MC: 0,
  FATAL_LOCAL_MC: 1,
  TOO_MANY_MC: 2,
  MC_DIFFERENT_PAGES: 3,
  MF_RECOVERY_OFF: 4,
  GHES_FATAL: 5,
  SEA_FATAL: 6,
  SERROR: 7,
  NULL_DEREF: 8,
  /** v7.3 vm.panic_on_unrecoverable_memory_failure: panic() in action_result for MF_MSG_KERNEL. */
  MF_UNRECOVERABLE: 9,
} as const;

/** Does panic string `msg` carry the pfn (its %lx / %#lx filled in per panic)? */
export function panicHasPfn(msg: number): boolean {
  return msg === PanicMsg.MF_RECOVERY_OFF || msg === PanicMsg.MF_UNRECOVERABLE;
}

/** Panic string `msg` as printed, with the pfn filled in where the format has one. */
export function formatPanic(msg: number, pfn: number): string {
  if (msg === PanicMsg.MF_RECOVERY_OFF) return `Memory failure on page ${pfn.toString(16)}`;
  if (msg === PanicMsg.MF_UNRECOVERABLE) return `Memory failure: 0x${pfn.toString(16)}: unrecoverable page`;
  return PANIC_MSGS[msg]!;
}

/** The panic string as printed, with the pfn filled in for the formats that carry one. */
export function panicText(o: Outcome): string | null {
  if (o.panicMsg < 0) return null;
  return formatPanic(o.panicMsg, o.panicPfn);
}

// Decision paths: stable dotted names for grouping and SQL. The list is fixed (its order is the
// DuckDB ENUM's and the Arrow dictionary's), so it never depends on module load order; a module
// looks its names up once at load and the model sets an integer.
export const PATH_NAMES: readonly string[] = Object.freeze([
  'none',
  'ghes.fatal', 'ghes.estatus_cached', 'ghes.corrected', 'ghes.corrected.soft_offline', 'ghes.no_valid_pa',
  'ghes.invalid_pa', 'ghes.task_work', 'ghes.queue_kick', 'ghes.queue_kworker', 'ghes.sync_unrecoverable_sigbus',
  'ghes.sync_unhandled', 'arm64.kvm.sea.unclaimed.vserror', 'x86.mca.corrected', 'x86.mca.ucna.no_addr',
  'x86.mca.ucna.memory_failure', 'x86.mce.ao.no_addr', 'x86.mce.ao.memory_failure', 'x86.mce.panic.pcc',
  'x86.mce.panic.no_restart_ip', 'x86.mce.panic.kernel_no_restart_ip', 'x86.mce.panic.ar_no_addr',
  'x86.mce.panic.kernel_unrecoverable', 'x86.mce.panic.consecutive', 'x86.mce.ar.consecutive_same_page',
  'x86.mce.ar.user.kill_me_maybe', 'x86.mce.ar.guest.kill_me_maybe', 'x86.mce.ar.kernel_copyin.kill_me_never',
  'x86.mce.ar.kernel_cow.copy_mc', 'x86.mce.ar.kernel_copy_mc.coredump', 'x86.mce.ar.kthread_copy_mc.queue',
  'access.hwpoison_fault', 'access.kvm.hwpoison', 'access.kernel.efault', 'access.no_poison', 'access.dropped_page',
  'arm64.sea.kernel_first.user', 'arm64.sea.kernel_first.kernel.die', 'arm64.sea.kernel.die',
  'arm64.sea.kernel.no_mc_fixup.die', 'arm64.serror.panic', 'arm64.serror.recoverable',
  'x86.mca.corrected.cec', 'x86.mca.corrected.cec.soft_offline', 'x86.mca.poll.uc_logged',
  'sw.madvise.memory_failure', 'sw.madvise.gup_failed', 'sw.madvise.soft_offline', 'sw.madvise.soft_offline_refused',
]);
export function definePath(name: string): number {
  const i = PATH_NAMES.indexOf(name);
  if (i < 0) throw new Error(`decision path ${name} is not in PATH_NAMES`);
  return i;
}

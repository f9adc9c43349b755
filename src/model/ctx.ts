// Per-replay scratch: the event being replayed, its resolved host settings, the task that is
// `current` when a kernel function runs, and signal delivery with the kernel's coalescing rule.
// One Ctx is reused for every event; nothing here is allocated per event.
import { Context, Mem, Page, Policy, SIGBUS, SIGKILL, SIGSEGV } from './enums.js';
import type { Profile } from './profiles.js';
import { EventRecord, Explain, formatPanic, NO_ADDR, Outcome, PROFILE_DEFAULT } from './record.js';
import { HostState, PageState } from './state.js';
import { grown } from './grow.js';

export const MF_ACTION_REQUIRED = 1;
export const MF_MUST_KILL = 2;

export class NotModelledError extends Error {
  constructor(what: string) {
    super(`not modelled: ${what}`);
  }
}

export class Ctx {
  ev!: EventRecord;
  profile!: Profile;
  hs!: HostState;
  out!: Outcome;
  x: Explain | null = null;

  // Resolved host settings for this event.
  earlyKill = 0;
  recovery = 1;
  panicOnOops = 1;
  kdump = true;
  panicOnUnrecoverable = 0;

  /** 4 KiB frame of ev.pa (0 when there is no address): what the kernel prints. */
  pfn = 0;
  /**
   * Key of the page's replay state: the 4 KiB frame, or for hugetlb the huge page's first frame
   * (the whole huge page is poisoned and mapped by one entry).
   */
  spfn = 0;

  // `current` when the kernel code runs.
  curPid = 0;
  curTid = 0;
  curHasMm = false;

  // Effective mapper list (conventions C1): the trace's mappers plus the consumer.
  mapCount = 0;
  mapPid = new Uint32Array(16);
  mapPolicy = new Uint8Array(16);

  // Coalescing state of this event (conventions C5, C7).
  private sigbusTid = new Uint32Array(16);
  private sigbusN = 0;
  private deadPid = new Uint32Array(8);
  private deadN = 0;
  /** Flags of the memory_failure that GHES deferred (ghesDoProc -> ghesRunWork). */
  ghesFlags = 0;

  /** pid of a coredumping process (signals but SIGKILL are dropped), 0 for none. */
  coredumpPid = 0;

  begin(ev: EventRecord, profile: Profile, hs: HostState, out: Outcome, x: Explain | null): void {
    this.ev = ev;
    this.profile = profile;
    this.hs = hs;
    this.out = out;
    this.x = x;
    out.reset();
    const h = profile.host;
    this.earlyKill = ev.earlyKill === PROFILE_DEFAULT ? h.early_kill : ev.earlyKill;
    this.recovery = ev.recovery === PROFILE_DEFAULT ? h.recovery : ev.recovery;
    this.panicOnOops = ev.panicOnOops === PROFILE_DEFAULT ? h.panic_on_oops : ev.panicOnOops;
    this.kdump = ev.kdump === PROFILE_DEFAULT ? h.kdump : ev.kdump === 1;
    this.panicOnUnrecoverable = ev.panicOnUnrecoverable === PROFILE_DEFAULT ? h.panic_on_unrecoverable : ev.panicOnUnrecoverable;
    this.pfn = ev.pa === NO_ADDR ? 0 : Math.floor(ev.pa / 4096);
    this.spfn = ev.page === Page.hugetlb || ev.page === Page.hugetlb_free
      ? this.pfn - (this.pfn % 2 ** (ev.pageShift - 12))
      : this.pfn;
    this.sigbusN = 0;
    this.deadN = 0;
    this.coredumpPid = 0;
    this.setCurrentConsumer();
    this.buildMappers();
  }

  /** `current` is the consuming thread (task work, fault path, exception handler). */
  setCurrentConsumer(): void {
    const ev = this.ev;
    this.curPid = ev.pid;
    this.curTid = ev.tid;
    // A kernel thread (khugepaged, ksmd) or no consumer at all has no mm.
    this.curHasMm = ev.pid !== 0 && ev.context !== Context.kthread_copy_mc && ev.context !== Context.none;
  }

  /** `current` is a kworker (memory_failure_work_func, the mce notifier work): no mm. */
  setCurrentKworker(): void {
    this.curPid = 0;
    this.curTid = 0;
    this.curHasMm = false;
  }

  private buildMappers(): void {
    const ev = this.ev;
    this.mapCount = 0;
    let consumerListed = false;
    for (let i = 0; i < ev.mapperCount; i++) {
      if (ev.mapperPid[i] === ev.pid) consumerListed = true;
      this.pushMapper(ev.mapperPid[i]!, ev.mapperPolicy[i]!);
    }
    const c = ev.context;
    const consumerMaps = c === Context.user || c === Context.kernel_copyin || c === Context.kernel_cow ||
      c === Context.kernel_copy_mc || c === Context.guest;
    if (!consumerListed && consumerMaps && ev.pid !== 0) this.pushMapper(ev.pid, Policy.default);
  }

  private pushMapper(pid: number, policy: number): void {
    if (this.mapCount === this.mapPid.length) {
      this.mapPid = grown(this.mapPid);
      this.mapPolicy = grown(this.mapPolicy);
    }
    this.mapPid[this.mapCount] = pid;
    this.mapPolicy[this.mapCount] = policy;
    this.mapCount++;
  }

  /** Does process `pid` map the poisoned page? */
  maps(pid: number): boolean {
    for (let i = 0; i < this.mapCount; i++) if (this.mapPid[i] === pid) return true;
    return false;
  }

  /**
   * Queue a signal to thread `tid` of process `pid`, as the task observes it: a SIGBUS to a thread
   * with one pending is discarded (legacy_queue, kernel/signal.c); nothing reaches a process after
   * SIGKILL; a coredumping process accepts only SIGKILL (prepare_signal). Returns true if observed.
   */
  deliver(pid: number, tid: number, signo: number, siCode: number, addr: number, lsb: number): boolean {
    if (pid === 0) return false; // a kernel thread: no user-visible signal
    for (let i = 0; i < this.deadN; i++) if (this.deadPid[i] === pid) return false;
    if (pid === this.coredumpPid && signo !== SIGKILL) {
      if (this.x) this.step(`signal ${signo} to ${pid}/${tid} dropped: the process is dumping core (prepare_signal)`);
      return false;
    }
    if (signo === SIGBUS) {
      for (let i = 0; i < this.sigbusN; i++) {
        if (this.sigbusTid[i] === tid) {
          if (this.x) this.step(`SIGBUS code ${siCode} to ${pid}/${tid} coalesced: a SIGBUS is already pending (legacy_queue)`);
          return false;
        }
      }
      if (this.sigbusN === this.sigbusTid.length) this.sigbusTid = grown(this.sigbusTid);
      this.sigbusTid[this.sigbusN++] = tid;
    } else if (signo === SIGKILL || signo === SIGSEGV) {
      if (this.deadN === this.deadPid.length) this.deadPid = grown(this.deadPid);
      this.deadPid[this.deadN++] = pid;
    }
    this.out.signals.push(pid, tid, signo, siCode, addr, lsb);
    return true;
  }

  /** Did process `pid` die in this event (SIGKILL or an oops)? */
  isDead(pid: number): boolean {
    for (let i = 0; i < this.deadN; i++) if (this.deadPid[i] === pid) return true;
    return false;
  }

  /** The consumer got a signal or died: it does not re-execute the faulting instruction. */
  consumerStopped(): boolean {
    return this.signalled(this.ev.tid) || this.isDead(this.ev.pid);
  }

  /** Did thread `tid` observe any signal in this event? */
  signalled(tid: number): boolean {
    const s = this.out.signals;
    for (let i = 0; i < s.count; i++) if (s.tid[i] === tid) return true;
    return false;
  }

  /** Panic: the machine stops; signals queued before are never delivered. */
  panic(msg: number, pfn = 0): void {
    const out = this.out;
    out.panic = true;
    out.panicMsg = msg;
    out.panicPfn = pfn;
    out.signals.clear();
    if (this.x) this.x.log(`Kernel panic - not syncing: ${formatPanic(msg, pfn)}`);
  }

  /**
   * The page's replay state, with `poisoned_before` (conventions C15) read as "poisoned, still
   * mapped" when the replay itself knows nothing about the page.
   */
  pageStateNow(): number {
    const st = this.hs.pageState(this.spfn);
    return st === PageState.HEALTHY && this.ev.poisonedBefore ? PageState.POISONED_MAPPED : st;
  }

  /** Is the page of this event marked PG_hwpoison (or otherwise poisoned) in the replay state? */
  pagePoisoned(): boolean {
    return this.pageStateNow() !== PageState.HEALTHY;
  }

  /** Is the event's page System RAM with a struct page that memory_failure can handle? */
  isRam(): boolean {
    return this.ev.mem === Mem.ram;
  }

  isHugetlb(): boolean {
    return this.ev.page === Page.hugetlb || this.ev.page === Page.hugetlb_free;
  }

  /** lsb of a fault-path SIGBUS: hstate shift for hugetlb (VM_FAULT_HWPOISON_LARGE), else PAGE_SHIFT. */
  faultLsb(): number {
    return this.ev.page === Page.hugetlb ? this.ev.pageShift : 12;
  }

  /** Page-aligned user address for tk->addr (conventions C3). */
  pageAddr(): number {
    const v = this.ev.vaddr;
    return v === NO_ADDR ? 0 : v - (v % 4096);
  }

  exactAddr(): number {
    const v = this.ev.vaddr;
    return v === NO_ADDR ? 0 : v;
  }

  hex(n: number): string {
    return `0x${n.toString(16)}`;
  }

  step(text: string): void {
    if (this.x) this.x.step(text);
  }

  log(line: string): void {
    if (this.x) this.x.log(line);
  }
}

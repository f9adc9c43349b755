// Who is collected and what they get: collect_procs / task_early_kill / find_early_kill_thread /
// kill_procs / kill_proc of mm/memory-failure.c (verified v6.19; kernel-model §1b, §1c).
import { BUS_MCEERR_AO, BUS_MCEERR_AR, Policy, SIGBUS, SIGKILL } from './enums.js';
import { Ctx, MF_ACTION_REQUIRED } from './ctx.js';
import { grown } from './grow.js';

/** Collected targets of one memory_failure call (struct to_kill list), reused. */
export class KillList {
  n = 0;
  pid = new Uint32Array(16);
  tid = new Uint32Array(16);

  clear(): void {
    this.n = 0;
  }

  add(pid: number, tid: number): void {
    if (this.n === this.pid.length) {
      this.pid = grown(this.pid);
      this.tid = grown(this.tid);
    }
    this.pid[this.n] = pid;
    this.tid[this.n] = tid;
    this.n++;
  }
}

/**
 * task_early_kill(tsk, force_early): with force_early and the same mm as current, the target is
 * current (the consuming thread), never another thread of that process. Otherwise
 * find_early_kill_thread(): the first thread (the leader, conventions C2) whose prctl says early, or
 * that follows an early_kill=1 sysctl; a late process is not collected. Returns the tid, or -1.
 */
function taskEarlyKill(c: Ctx, pid: number, policy: number, forceEarly: boolean): number {
  if (forceEarly && c.curHasMm && pid === c.curPid) return c.curTid;
  if (policy === Policy.early) return pid;
  if (policy === Policy.late) return -1;
  return c.earlyKill === 1 ? pid : -1;
}

/** collect_procs(folio, p, &tokill, force_early): every mapper, in rmap order. */
export function collectProcs(c: Ctx, list: KillList, forceEarly: boolean): void {
  list.clear();
  for (let i = 0; i < c.mapCount; i++) {
    const pid = c.mapPid[i]!;
    const tid = taskEarlyKill(c, pid, c.mapPolicy[i]!, forceEarly);
    if (tid >= 0) {
      list.add(pid, tid);
    } else if (c.x) {
      c.step(`collect_procs: ${pid} is late (${['early', 'late', 'default'][c.mapPolicy[i]!]}, early_kill=${c.earlyKill}): not collected`);
    }
  }
}

/**
 * kill_procs(to_kill, forcekill, pfn, flags): without forcekill nobody is signalled. Otherwise
 * kill_proc(): BUS_MCEERR_AR (forced) to current when MF_ACTION_REQUIRED, BUS_MCEERR_AO
 * (send_sig_mceerr) to everyone else; addr = tk->addr (page aligned), lsb = tk->size_shift.
 */
export function killProcs(c: Ctx, list: KillList, forcekill: boolean, flags: number, lsb: number): void {
  if (!forcekill) {
    if (list.n > 0 && c.x) c.step(`kill_procs: forcekill=0, ${list.n} collected process(es) not signalled`);
    return;
  }
  const addr = c.pageAddr();
  for (let i = 0; i < list.n; i++) {
    const pid = list.pid[i]!;
    const tid = list.tid[i]!;
    if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: Sending SIGBUS to ${commOf(c, pid)}:${pid} due to hardware memory corruption`);
    const ar = (flags & MF_ACTION_REQUIRED) !== 0 && c.curHasMm && tid === c.curTid && pid === c.curPid;
    c.deliver(pid, tid, SIGBUS, ar ? BUS_MCEERR_AR : BUS_MCEERR_AO, addr, lsb);
  }
}

export function commOf(c: Ctx, pid: number): string {
  return pid === c.ev.pid && c.ev.comm ? c.ev.comm : `pid${pid}`;
}

/**
 * Before v6.11, kill_procs(..., fail=true) when unmapping failed: every collected task gets an
 * uncatchable SIGKILL ("forcibly killing ... because of failure to unmap corrupted page").
 */
export function killProcsSigkill(c: Ctx, list: KillList): void {
  for (let i = 0; i < list.n; i++) {
    const pid = list.pid[i]!;
    if (c.x) c.log(`Memory failure: ${c.hex(c.pfn)}: forcibly killing ${commOf(c, pid)}:${pid} because of failure to unmap corrupted page`);
    c.deliver(pid, list.tid[i]!, SIGKILL, SI_KERNEL_PRIV, -1, -1);
  }
}

/** do_send_sig_info(SIGKILL, SEND_SIG_PRIV): si_code SI_KERNEL. */
const SI_KERNEL_PRIV = 128;

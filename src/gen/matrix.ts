// `gen --matrix`: the scenario matrix, in the style of mm_regression's recipe matrices
// (cases/mm/hwpoison/*.set3: backend × error × access): every error type the trace contract allows
// (arch × notify × firmware_first × severity × sync), crossed with who consumes it, the page it hits
// and the kill policy, plus axes that flip one trigger of a profile switch at a time. Each
// combination is one host (replay state never leaks between combinations) whose name spells the
// combination, so outcomes group by it in SQL. An uncorrected error on a page someone maps is
// followed by a later `access` of the page. Combinations the trace validator rejects are skipped.
import * as enums from '../model/enums.js';
import * as record from '../model/record.js';
import * as columns from '../columns/events.js';
import { validateEvent } from '../model/validate.js';
import { TraceStreamWriter } from '../io/arrow-trace.js';

const { ARCH, CONTEXT, MEM, NOTIFY, PAGE, POLICY, SEVERITY } = enums;
const Arch = { ...enums.Arch };
const Context = { ...enums.Context };
const Kind = { ...enums.Kind };
const Mem = { ...enums.Mem };
const Notify = { ...enums.Notify };
const Page = { ...enums.Page };
const Policy = { ...enums.Policy };
const Severity = { ...enums.Severity };
const NO_ADDR = record.NO_ADDR;
const { F_FIRMWARE_FIRST, F_GUEST_RAS, F_PINNED, F_POISONED_BEFORE, F_RIPV, F_SYNC } = columns;

export interface MatrixOptions {
  /** Varies the addresses (default 1); the set of combinations does not depend on it. */
  seed?: number;
  batchRows?: number;
}

export interface ErrorType {
  arch: number;
  notify: number;
  firmwareFirst: boolean;
  severity: number;
  sync: boolean;
}

export interface PageVariant {
  page: number;
  shift: number;
}

/** One combination (one host). */
export interface Combo {
  err: ErrorType;
  context: number;
  page: PageVariant;
  mem: number;
  /** Policy code of the mapping processes (and of the VMM for guest memory). */
  policy: number;
  /** vm.memory_failure_early_kill, or -1 (profile default). */
  earlyKill: number;
  pinned: boolean;
  poisonedBefore: boolean;
  guestRas: boolean;
  ripv: boolean;
  hasPa: boolean;
  recovery: number;
  panicOnOops: number;
  kdump: number;
}

const SYNC_CONTEXTS = ['user', 'kernel_copyin', 'kernel_copyout', 'kernel_cow', 'kernel_copy_mc', 'kthread_copy_mc', 'kernel_other', 'guest'] as const;
const ASYNC_CONTEXTS = ['none', 'guest'] as const;

/** Pages a process maps (so mappers, kill policy and a later access mean something). */
const MAPPED = new Set<number>([
  Page.anon, Page.anon_clean, Page.anon_thp, Page.file_clean, Page.file_dirty, Page.file_text, Page.shmem,
  Page.swapcache_clean, Page.swapcache_dirty, Page.mlocked, Page.ksm, Page.hugetlb, Page.dax, Page.pfnmap,
]);

/** The notifications that are a task's own madvise() call (MADV_HWPOISON, MADV_SOFT_OFFLINE). */
const byTask = (notify: number): boolean => notify === Notify.madvise || notify === Notify.madvise_soft_offline;

/** Every (arch, notify, firmware_first, severity, sync) the validator accepts for an error. */
export function errorTypes(): ErrorType[] {
  const out: ErrorType[] = [];
  const rec = new record.EventRecord();
  for (let arch = 0; arch < ARCH.length; arch++) {
    for (let notify = 0; notify < NOTIFY.length; notify++) {
      for (const ff of [false, true]) {
        for (let severity = 0; severity < SEVERITY.length; severity++) {
          for (const sync of [false, true]) {
            rec.arch = arch;
            rec.kind = Kind.error;
            rec.notify = notify;
            rec.firmwareFirst = ff;
            rec.severity = severity;
            rec.sync = sync;
            rec.pa = 0x100000000;
            rec.pageShift = 12;
            // A madvise injection or soft offline is made by a task (context user) and consumes
            // nothing (sync false).
            const task = sync || byTask(notify);
            rec.context = task ? Context.user : Context.none;
            rec.pid = task ? 1000 : 0;
            if (!validateEvent(rec)) out.push({ arch, notify, firmwareFirst: ff, severity, sync });
          }
        }
      }
    }
  }
  return out;
}

/** Every page label at its natural size, plus the huge sizes that change the outcome. */
export function pageVariants(): PageVariant[] {
  const out: PageVariant[] = [];
  for (let page = 0; page < PAGE.length; page++) {
    if (page === Page.hugetlb || page === Page.hugetlb_free) out.push({ page, shift: 21 }, { page, shift: 30 });
    else if (page === Page.anon_thp || page === Page.file_thp || page === Page.shmem_thp) out.push({ page, shift: 21 });
    else if (page === Page.file_lbs) out.push({ page, shift: 14 }); // 16 KiB blocks: the minimum folio size
    else if (page === Page.dax) out.push({ page, shift: 12 }, { page, shift: 21 });
    else out.push({ page, shift: 12 });
  }
  return out;
}

const KILL_POLICIES: [number, number][] = [];
for (const p of [Policy.early, Policy.late, Policy.default]) for (const ek of [0, 1]) KILL_POLICIES.push([p, ek]);

/** The combinations, in a fixed order (the axes of docs/fleet-mix.md "Scenario matrix"). */
export function matrixCombos(): Combo[] {
  const types = errorTypes();
  const pages = pageVariants();
  const ramPages = pages.filter((p) => p.page !== Page.pfnmap);
  const subset = ramPages.filter((p) => [Page.anon, Page.file_clean, Page.shmem, Page.slab, Page.free].includes(p.page) || (p.page === Page.hugetlb && p.shift === 21));
  const base = (err: ErrorType, context: number, page: PageVariant): Combo => ({
    err, context, page, mem: Mem.ram, policy: Policy.default, earlyKill: -1, pinned: false, poisonedBefore: false,
    guestRas: true, ripv: true, hasPa: true, recovery: -1, panicOnOops: -1, kdump: -1,
  });
  const contextsOf = (err: ErrorType): number[] =>
    byTask(err.notify) ? [Context.user] : (err.sync ? SYNC_CONTEXTS : ASYNC_CONTEXTS).map((c) => Context[c]);
  const out: Combo[] = [];
  const each = (f: (err: ErrorType, ctx: number) => void): void => {
    for (const err of types) for (const ctx of contextsOf(err)) f(err, ctx);
  };
  // 1. Core: error type × context × page × kill policy (policy and early_kill for mapped pages).
  each((err, ctx) => {
    for (const page of ramPages) {
      if (MAPPED.has(page.page)) for (const [policy, ek] of KILL_POLICIES) out.push({ ...base(err, ctx, page), policy, earlyKill: ek });
      else out.push(base(err, ctx, page));
    }
  });
  // 2. pinned (unmap / THP split fails) and 3. poisoned_before (captured mid-stream).
  each((err, ctx) => {
    for (const page of ramPages) out.push({ ...base(err, ctx, page), pinned: true });
  });
  each((err, ctx) => {
    for (const page of ramPages) out.push({ ...base(err, ctx, page), poisonedBefore: true });
  });
  // 4. Memory without struct page (seed 003) and no memory at all, with the kill policies.
  each((err, ctx) => {
    for (const mem of [Mem.device, Mem.device_unregistered]) {
      for (const [policy, ek] of KILL_POLICIES) out.push({ ...base(err, ctx, { page: Page.pfnmap, shift: 12 }), mem, policy, earlyKill: ek });
    }
    out.push({ ...base(err, ctx, { page: Page.unknown, shift: 12 }), mem: Mem.none });
  });
  // 5. Guests whose VMM cannot forward AR (guest_ras false).
  each((err, ctx) => {
    if (ctx !== Context.guest) return;
    for (const page of ramPages) out.push({ ...base(err, ctx, page), guestRas: false });
  });
  // 6. Host sysctls and kdump: recovery × panic_on_oops × kdump on a page subset.
  each((err, ctx) => {
    for (const page of subset) {
      for (const recovery of [0, 1]) for (const poo of [0, 1]) for (const kd of [0, 1]) {
        out.push({ ...base(err, ctx, page), recovery, panicOnOops: poo, kdump: kd });
      }
    }
  });
  // 7. x86 RIPV clear, and records without a valid address.
  each((err, ctx) => {
    for (const page of subset) {
      if (err.arch === Arch.x86_64 && err.notify === Notify.mce) out.push({ ...base(err, ctx, page), ripv: false });
      out.push({ ...base(err, ctx, page), hasPa: false });
    }
  });
  return out;
}

/** The host name: the combination spelled out (stable: goldens and SQL group by it). */
export function comboName(k: Combo): string {
  const e = k.err;
  const parts = [
    ARCH[e.arch], NOTIFY[e.notify], e.firmwareFirst ? 'ff' : 'native', SEVERITY[e.severity], e.sync ? 'sync' : 'async',
    CONTEXT[k.context], `${PAGE[k.page.page]}@${k.page.shift}`, MEM[k.mem], POLICY[k.policy], `ek${k.earlyKill < 0 ? '-' : k.earlyKill}`,
  ];
  if (k.pinned) parts.push('pinned');
  if (k.poisonedBefore) parts.push('poisoned_before');
  if (!k.guestRas) parts.push('guest_ras0');
  if (!k.ripv) parts.push('ripv0');
  if (!k.hasPa) parts.push('no_pa');
  if (k.recovery >= 0) parts.push(`recovery${k.recovery}`, `panic_on_oops${k.panicOnOops}`, `kdump${k.kdump}`);
  return parts.join('/');
}

const CONSUMER = 1000;
const BYSTANDER = 1001;
const VMM = 3000;
const KTHREAD = 60;
const USER_VA = 0x7f0000000000;
const GUEST_HVA = 0x7e0000000000;

/** Write the matrix as a host-ordered Arrow IPC stream (temp + rename). */
export function generateMatrix(outPath: string, opts: MatrixOptions = {}): { events: number; hosts: number } {
  const seed = (opts.seed ?? 1) >>> 0;
  const w = new TraceStreamWriter(outPath, opts.batchRows ?? 65536, true);
  const c = w.cols;
  const d = w.dicts;
  const rec = new record.EventRecord();
  const mapperIds = new Map<string, number>();
  const mappersFor = (pids: number[], policy: number): number => {
    const text = pids.map((p) => `${p}:${POLICY[policy]}`).join(';');
    let id = mapperIds.get(text);
    if (id === undefined) {
      id = d.mappers.intern(text, pids.flatMap((p) => [p, policy]));
      mapperIds.set(text, id);
    }
    return id;
  };
  const comm = { user: d.comms.id('victim'), qemu: d.comms.id('qemu-kvm'), kthread: d.comms.id('khugepaged') };
  let events = 0;
  let hosts = 0;
  try {
    const combos = matrixCombos();
    for (let k = 0; k < combos.length; k++) {
      const m = combos[k]!;
      const e = m.err;
      const guest = m.context === Context.guest;
      const mapped = MAPPED.has(m.page.page) || guest;
      // A page-aligned address that differs per combination (and per seed) but is always RAM-like.
      const pfn = 0x100000 + ((Math.imul(k + 1, 0x9e3779b1) ^ seed) >>> 0) % 0x3f00000;
      const align = 2 ** (m.page.shift - 12);
      const pa = (pfn - (pfn % align)) * 4096 + 0x1c0;
      let pid = 0, tid = 0, cm = 0, vaddr = NO_ADDR;
      if (guest) {
        pid = VMM;
        tid = e.sync ? VMM + 1 : VMM;
        cm = comm.qemu;
        if (e.sync) vaddr = GUEST_HVA + (pa % 2 ** 36);
      } else if (e.sync || byTask(e.notify)) {
        // The consumer, or the task that calls madvise(MADV_HWPOISON / MADV_SOFT_OFFLINE) on its own page.
        if (m.context === Context.kthread_copy_mc) {
          pid = tid = KTHREAD;
          cm = comm.kthread;
        } else {
          pid = tid = CONSUMER;
          cm = comm.user;
          if (m.context !== Context.kernel_other && m.context !== Context.kernel_copyout) vaddr = USER_VA + (pa % 2 ** 36);
        }
      }
      const mappers = guest ? mappersFor([VMM], m.policy) : mapped ? mappersFor([CONSUMER, BYSTANDER], m.policy) : -1;
      const flags = (e.firmwareFirst ? F_FIRMWARE_FIRST : 0) | (e.sync ? F_SYNC : 0) | (m.ripv ? F_RIPV : 0) |
        (m.pinned ? F_PINNED : 0) | (m.poisonedBefore ? F_POISONED_BEFORE : 0) | (m.guestRas ? F_GUEST_RAS : 0);

      // The validator decides; invalid combinations are skipped.
      rec.arch = e.arch;
      rec.kind = Kind.error;
      rec.notify = e.notify;
      rec.firmwareFirst = e.firmwareFirst;
      rec.severity = e.severity;
      rec.sync = e.sync;
      rec.pa = m.hasPa ? pa : NO_ADDR;
      rec.pageShift = m.page.shift;
      rec.page = m.page.page;
      rec.context = m.context;
      rec.pid = pid;
      if (validateEvent(rec)) continue;

      const host = d.hosts.id(comboName(m));
      hosts++;
      const row = (t: number): number => {
        if (c.n === w.batchRows) w.flush();
        const i = c.n++;
        events++;
        c.eventIdW[2 * i] = events;
        c.eventIdW[2 * i + 1] = 0;
        c.tNsW[2 * i] = t * 1_000_000_000;
        c.tNsW[2 * i + 1] = 0;
        c.host[i] = host;
        c.arch[i] = e.arch;
        c.mem[i] = m.mem;
        c.page[i] = m.page.page;
        c.pageShift[i] = m.page.shift;
        c.mappers[i] = mappers;
        c.earlyKill[i] = m.earlyKill;
        c.recovery[i] = m.recovery;
        c.panicOnOops[i] = m.panicOnOops;
        c.kdump[i] = m.kdump;
        return i;
      };
      const i = row(1);
      c.kind[i] = Kind.error;
      c.notify[i] = e.notify;
      c.severity[i] = e.severity;
      c.context[i] = m.context;
      c.flags[i] = flags;
      c.pa[i] = m.hasPa ? pa : NO_ADDR;
      c.vaddr[i] = vaddr;
      c.pid[i] = pid;
      c.tid[i] = tid;
      c.comm[i] = cm;
      // A later touch of the page, where someone maps it and the error was not corrected.
      if (m.hasPa && mapped && e.severity !== Severity.corrected && m.mem !== Mem.none) {
        const j = row(2);
        c.kind[j] = Kind.access;
        c.notify[j] = Notify.none;
        c.severity[j] = 0;
        c.context[j] = guest ? Context.guest : Context.user;
        c.flags[j] = (e.arch === Arch.arm64 ? F_FIRMWARE_FIRST : 0) | F_RIPV | (m.pinned ? F_PINNED : 0) | (m.guestRas ? F_GUEST_RAS : 0);
        c.pa[j] = pa;
        c.vaddr[j] = (guest ? GUEST_HVA : USER_VA) + (pa % 2 ** 36);
        c.pid[j] = guest ? VMM : CONSUMER;
        c.tid[j] = guest ? VMM + 1 : CONSUMER;
        c.comm[j] = guest ? comm.qemu : comm.user;
      }
    }
    w.close();
  } catch (err) {
    w.abort();
    throw err;
  }
  return { events, hosts };
}

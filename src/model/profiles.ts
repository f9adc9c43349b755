// Profiles: one kernel build and its firmware, as named switches (docs/profiles.md).
// Each switch is one behavioural change; its merge version is the one read in the kernel source
// (docs/kernel-model.md "Merge versions", docs/source-check.md).

export interface Switches {
  /** seed 000 patch 1: GHES passes MF_ACTION_REQUIRED for SEA (is_hest_sync_notify). v6.8 */
  ghes_sync_ar: boolean;
  /** seed 000 patch 2: memory_failure_cb task work; queue kick removed. v6.17 tree */
  ghes_task_work: boolean;
  /** seed 000: `sync && !queued` -> "synchronous unrecoverable error (SIGBUS)". v6.17 tree */
  ghes_sync_force_kill: boolean;
  /** seed 002: SetPageHWPoison before mce_panic when a crash kernel is loaded. v6.8 */
  mce_panic_hwpoison: boolean;
  /** seed 003: memory_failure_pfn; GHES pfn_valid check removed. v6.19 */
  mf_pfn_no_struct_page: boolean;
  /** seed 004 patches 1-5: arm64 ARCH_HAS_COPY_MC. Not in mainline. */
  arm64_copy_mc: boolean;
  /** seed 004 patch 6: BUS_OBJERR to current after a claimed SEA. Not in mainline. */
  arm64_sea_objerr: boolean;
  /** commit 77677cdbc2aa: kill_accessing_process returns -EFAULT without an mm. v6.1 */
  kill_accessing_mm_check: boolean;
  /** THP split failure kills (kill_procs_now, "unsplit thp: Failed"). v6.11 */
  thp_split_fail_kill: boolean;
  /** KSM pages handled by memory_failure (collect_procs_ksm). v6.4 */
  ksm_memory_failure: boolean;
  /**
   * "try to send SIGBUS even if unmap failed" (v6.11): collected tasks get SIGBUS when unmapping
   * fails. Before, kill_procs(..., fail=true) sent SIGKILL ("forcibly killing").
   */
  unmap_fail_sigbus: boolean;
  /**
   * "improve memory failure action_result messages" (v6.11): get_hwpoison_page() failure reports
   * "get hwpoison page" (was "unknown page"), unmap failure is Failed (was Ignored), and an already
   * poisoned page gets an action_result line "already poisoned page: Failed" (was none).
   */
  mf_result_messages: boolean;
  /**
   * "mm/memory-failure: Fix redundant updates for already poisoned pages" (Aug 2025, v6.17/v6.18):
   * the type string becomes "already poisoned page" (was "already poisoned"), the pr_err "already
   * hardware poisoned" line goes, and hugetlb prints the result line without MF_ACTION_REQUIRED too.
   */
  already_poisoned_fix: boolean;
  /**
   * "mm/hwpoison: do not send SIGBUS to processes with recovered clean pages" (v6.15, also stable):
   * kill_accessing_process returns 0 when it finds no mapping; before, -EFAULT (-> SI_KERNEL).
   */
  kill_accessing_not_found_ok: boolean;
  /**
   * "mm: move memory_failure_queue() into copy_mc_[user]_highpage()" (v6.11): a failed
   * machine-check-safe copy in khugepaged queues memory_failure(pfn, 0); before, only COW and KSM
   * queued it themselves.
   */
  copy_mc_mf_queue: boolean;
}

export interface HostDefaults {
  early_kill: 0 | 1;
  recovery: 0 | 1;
  panic_on_oops: 0 | 1;
  kdump: boolean;
  /** x86 LMCE: the panic string is "Fatal local machine check". */
  lmce: boolean;
  /** The pre-000 kick race is won by the kworker (current->mm == NULL) instead of the consumer. */
  ghes_kick_in_kworker: boolean;
  /** Firmware's repeated-SEA limit; 0: the firmware resets silently (conventions C9). */
  fw_sea_limit: number;
  /** Corrected errors on one page before CPER_SEC_ERROR_THRESHOLD_EXCEEDED; 0: never. */
  fw_ce_threshold: number;
  /** Conventions C18. */
  mce_task_work_window_ns: number;
  /** Conventions C19. */
  mf_work_delay_ns: number;
}

export interface Profile {
  name: string;
  description: string;
  switches: Switches;
  host: HostDefaults;
}

const PRE_SWITCHES: Switches = {
  ghes_sync_ar: false,
  ghes_task_work: false,
  ghes_sync_force_kill: false,
  mce_panic_hwpoison: false,
  mf_pfn_no_struct_page: false,
  arm64_copy_mc: false,
  arm64_sea_objerr: false,
  kill_accessing_mm_check: true,
  thp_split_fail_kill: false,
  ksm_memory_failure: true,
  unmap_fail_sigbus: false,
  mf_result_messages: false,
  already_poisoned_fix: false,
  kill_accessing_not_found_ok: false,
  copy_mc_mf_queue: false,
};

export const DEFAULT_HOST: HostDefaults = {
  early_kill: 0,
  recovery: 1,
  panic_on_oops: 1,
  kdump: true,
  lmce: false,
  ghes_kick_in_kworker: false,
  fw_sea_limit: 0,
  fw_ce_threshold: 0,
  mce_task_work_window_ns: 1_000_000,
  mf_work_delay_ns: 1_000_000,
};

function builtin(name: string, description: string, over: Partial<Switches>): Profile {
  return Object.freeze({
    name,
    description,
    switches: Object.freeze({ ...PRE_SWITCHES, ...over }),
    host: Object.freeze({ ...DEFAULT_HOST }),
  });
}

export const BUILTIN_PROFILES: readonly Profile[] = Object.freeze([
  builtin('pre', 'mainline v6.6, before the seed changes', {}),
  builtin('post', 'pre plus seeds 000, 002, 003 and 004 patches 1-5 (not a released kernel)', {
    ghes_sync_ar: true, ghes_task_work: true, ghes_sync_force_kill: true,
    mce_panic_hwpoison: true, mf_pfn_no_struct_page: true, arm64_copy_mc: true,
  }),
  builtin('linux-6.1', 'mainline v6.1', { ksm_memory_failure: false }),
  builtin('linux-6.6', 'mainline v6.6', {}),
  builtin('linux-6.12', 'mainline v6.12: seed 000 patch 1 only (MF_ACTION_REQUIRED through the kick), seed 002', {
    ghes_sync_ar: true, mce_panic_hwpoison: true, thp_split_fail_kill: true,
    unmap_fail_sigbus: true, mf_result_messages: true, copy_mc_mf_queue: true,
  }),
  builtin('linux-6.19', 'mainline v6.19: seeds 000, 002, 003', {
    ghes_sync_ar: true, ghes_task_work: true, ghes_sync_force_kill: true,
    mce_panic_hwpoison: true, mf_pfn_no_struct_page: true, thp_split_fail_kill: true,
    unmap_fail_sigbus: true, mf_result_messages: true, copy_mc_mf_queue: true,
    already_poisoned_fix: true, kill_accessing_not_found_ok: true,
  }),
]);

export const BUILTIN_NAMES = BUILTIN_PROFILES.map((p) => p.name);

export class ProfileError extends Error {}

export function builtinProfile(name: string): Profile {
  const p = BUILTIN_PROFILES.find((b) => b.name === name);
  if (!p) {
    throw new ProfileError(`unknown profile "${name}": expected one of ${BUILTIN_NAMES.join(', ')} or a profile file (.json)`);
  }
  return p;
}

const SWITCH_KEYS = Object.keys(PRE_SWITCHES) as (keyof Switches)[];
const HOST_KEYS = Object.keys(DEFAULT_HOST) as (keyof HostDefaults)[];

/**
 * Resolve a profile document (the parsed JSON of a profile file): `extends` a built-in (or another
 * resolved profile through `lookup`), then overrides switches and host defaults. Every key is
 * checked: an unknown key, or a value of the wrong type, is an error naming `where`.
 */
export function resolveProfile(
  doc: unknown,
  where: string,
  lookup: (name: string) => Profile = builtinProfile,
): Profile {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ProfileError(`${where}: a profile file must hold a JSON object`);
  }
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['name', 'description', 'extends', 'switches', 'host'].includes(k)) {
      throw new ProfileError(`${where}: unknown key "${k}": expected name, description, extends, switches, host`);
    }
  }
  const base = o.extends === undefined ? lookup('pre') : typeof o.extends === 'string'
    ? lookup(o.extends)
    : fail(`${where}: "extends" must be a profile name, got ${JSON.stringify(o.extends)}`);
  const switches: Switches = { ...base.switches };
  const host: HostDefaults = { ...base.host };
  const sw = objectOrEmpty(o.switches, `${where}: "switches"`);
  for (const [k, v] of Object.entries(sw)) {
    if (!SWITCH_KEYS.includes(k as keyof Switches)) {
      throw new ProfileError(`${where}: unknown switch "${k}": expected one of ${SWITCH_KEYS.join(', ')}`);
    }
    if (typeof v !== 'boolean') {
      throw new ProfileError(`${where}: switch ${k} = ${JSON.stringify(v)}: expected true or false`);
    }
    (switches as unknown as Record<string, boolean>)[k] = v;
  }
  const h = objectOrEmpty(o.host, `${where}: "host"`);
  for (const [k, v] of Object.entries(h)) {
    if (!HOST_KEYS.includes(k as keyof HostDefaults)) {
      throw new ProfileError(`${where}: unknown host setting "${k}": expected one of ${HOST_KEYS.join(', ')}`);
    }
    const cur = (DEFAULT_HOST as unknown as Record<string, unknown>)[k];
    if (typeof cur === 'boolean') {
      if (typeof v !== 'boolean') throw new ProfileError(`${where}: host ${k} = ${JSON.stringify(v)}: expected true or false`);
    } else if (k === 'early_kill' || k === 'recovery' || k === 'panic_on_oops') {
      if (v !== 0 && v !== 1) throw new ProfileError(`${where}: host ${k} = ${JSON.stringify(v)}: expected 0 or 1`);
    } else if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new ProfileError(`${where}: host ${k} = ${JSON.stringify(v)}: expected a non-negative integer`);
    }
    (host as unknown as Record<string, unknown>)[k] = v;
  }
  const name = o.name === undefined ? `${base.name}+` : typeof o.name === 'string' && /^[A-Za-z0-9._+-]+$/.test(o.name)
    ? o.name
    : fail(`${where}: "name" must match [A-Za-z0-9._+-]+, got ${JSON.stringify(o.name)}`);
  const description = typeof o.description === 'string' ? o.description : `${base.name} with overrides from ${where}`;
  return Object.freeze({ name, description, switches: Object.freeze(switches), host: Object.freeze(host) });
}

function objectOrEmpty(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProfileError(`${what} must be an object`);
  return v as Record<string, unknown>;
}

function fail(msg: string): never {
  throw new ProfileError(msg);
}

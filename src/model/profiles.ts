// Profiles: one kernel build and its firmware, as named switches (docs/profiles.md).
// Each switch is one behavioural change; its mainline release and stable backports are in the table
// of src/model/kernel-changes.ts, from which every `linux-*` profile (and `pre`) is derived.
import {
  KERNEL_CHANGES, KernelVersionError, MAINLINE_RELEASES, STABLE_LINES, kernelSwitches, resolveKernelVersion, type KernelVersion, type SwitchSource,
} from './kernel-changes.js';

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
  /**
   * "mm/memory-failure: fix infinite UCE for VM_PFNMAP pfn" (2e6053fea379, v6.17): the
   * kill_accessing_process walk visits VM_PFNMAP VMAs. Before, walk_page_test() skipped them, so a
   * re-consumed poisoned pfn there was never found (-EFAULT, or 0 from v6.15 on: a re-fault loop).
   */
  pfnmap_walk_fix: boolean;
  /**
   * "mm/memory-failure: improve large block size folio handling" (689b8986776c, v6.19): a folio
   * whose mapping has a minimum folio order (LBS file) is split to that order and still gets
   * kill_procs_now + "unsplit thp: Failed" (-EHWPOISON); before, the split to min order counted as
   * success and the folio was handled as a clean file page.
   */
  lbs_split_kill: boolean;
  /**
   * Breno Leitao's v7.3 series (8a276c0086cf, 737a97548c4a, 3e0659f93bae): get_any_page() returns
   * -ENOTRECOVERABLE for kernel-owned pages (reserved, slab, page tables), reported as
   * "reserved kernel page: Ignored" (was "get hwpoison page"), and the sysctl
   * vm.panic_on_unrecoverable_memory_failure exists (host setting panic_on_unrecoverable).
   */
  mf_kernel_page_unrecoverable: boolean;
  /**
   * "mm/memory-failure: userspace controls soft-offlining pages" (Jiaqi Yan, v6.11): the sysctl
   * vm.enable_soft_offline (host setting enable_soft_offline); 0 makes soft_offline_page() return
   * -EOPNOTSUPP. Before, there is no such sysctl: soft offline always runs.
   */
  enable_soft_offline_sysctl: boolean;
  /**
   * 66802526298e "mm/madvise: add MF_ACTION_REQUIRED to madvise(MADV_HWPOISON)" (Jane Chu, v6.11): madvise_inject_error
   * calls memory_failure(pfn, MF_ACTION_REQUIRED | MF_COUNT_INCREASED | MF_SW_SIMULATED), so the
   * injecting task is collected as an early-kill task and gets BUS_MCEERR_AR. Before, no
   * MF_ACTION_REQUIRED: the injector follows its kill policy (BUS_MCEERR_AO if early, else nothing).
   */
  madvise_action_required: boolean;
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
  /** vm.panic_on_unrecoverable_memory_failure (v7.3; no such sysctl before). Default 0. */
  panic_on_unrecoverable: 0 | 1;
  /**
   * x86 RAS_CEC action threshold: corrected errors on one pfn before cec_add_elem() soft-offlines
   * it (drivers/ras/cec.c: action_threshold, default COUNT_MASK = 1023 with CONFIG_RAS_CEC=y;
   * values above 1023 are clamped, as the debugfs setter does). 0: no RAS_CEC.
   */
  cec_threshold: number;
  /** vm.enable_soft_offline (v6.11; no such sysctl before). Default 1. */
  enable_soft_offline: 0 | 1;
}

export interface Profile {
  name: string;
  description: string;
  switches: Switches;
  host: HostDefaults;
}

/** `pre` is mainline v6.6.0, derived from the table like every release profile. */
const PRE_SWITCHES: Switches = kernelSwitches([6, 6, 0]).switches;

/** The seed changes `post` adds to `pre`: seeds 000 (both patches), 002, 003, 004 patches 1-5. */
export const POST_SEED_SWITCHES: readonly (keyof Switches)[] = Object.freeze([
  'ghes_sync_ar', 'ghes_task_work', 'ghes_sync_force_kill', 'mce_panic_hwpoison', 'mf_pfn_no_struct_page', 'arm64_copy_mc',
] as const);

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
  panic_on_unrecoverable: 0,
  cec_threshold: 0,
  enable_soft_offline: 1,
};

function profileOf(name: string, description: string, switches: Switches): Profile {
  return Object.freeze({ name, description, switches: Object.freeze({ ...switches }), host: Object.freeze({ ...DEFAULT_HOST }) });
}

const PRE = profileOf('pre', 'mainline v6.6 (linux-6.6), before the seed changes', PRE_SWITCHES);
const POST = profileOf('post', 'pre plus seeds 000, 002, 003 and 004 patches 1-5 (not a released kernel)', {
  ...PRE_SWITCHES, ...Object.fromEntries(POST_SEED_SWITCHES.map((k) => [k, true])),
} as Switches);

const cache = new Map<string, Profile>();

/**
 * The profile of a kernel version given by name: `linux-X.Y` (X.Y.0), `linux-X.Y.Z`, `linux-X.Y.y`
 * (the newest point release of a tracked line). Its switches are derived from the table.
 */
export function releaseProfile(name: string): Profile {
  const hit = cache.get(name);
  if (hit) return hit;
  const m = /^linux-(.+)$/.exec(name);
  if (!m) throw new ProfileError(`unknown profile "${name}": ${EXPECTED}`);
  let ver: KernelVersion;
  try {
    ver = resolveKernelVersion(m[1]!);
  } catch (e) {
    if (e instanceof KernelVersionError) throw new ProfileError(`profile "${name}": ${e.message}`);
    throw e;
  }
  const label = m[1]!.endsWith('.y') ? `${ver.join('.')}, the newest ${m[1]} point release known to the table` : ver[2] === 0 ? `v${ver[0]}.${ver[1]}` : ver.join('.');
  const p = profileOf(name, `Linux ${label}: switches from the table of kernel changes`, kernelSwitches(ver).switches);
  cache.set(name, p);
  return p;
}

/** Every mainline release as a profile name, linux-5.10 … linux-7.3. */
export const RELEASE_NAMES: readonly string[] = Object.freeze(MAINLINE_RELEASES.map((r) => `linux-${r.version}`));
/** The tracked stable lines' newest point releases, linux-5.10.y … linux-7.0.y. */
export const STABLE_NAMES: readonly string[] = Object.freeze(STABLE_LINES.map((l) => `linux-${l.line}.y`));

function switchKey(s: Switches): string {
  return KERNEL_CHANGES.map((c) => (s[c.switch] ? '1' : '0')).join('');
}

/**
 * The suite profiles: `pre`, `post` and one profile per distinct switch set among the release
 * profiles (RELEASE_NAMES, then STABLE_NAMES). A set is represented by its first LTS release if it
 * has one, else by its first release; every other name with the same switches shares its golden
 * files. These are the built-in profiles that `suite`, `golden check`, `diff --observed` and the
 * tests replay by default (docs/profiles.md "Suite profiles").
 */
function suiteProfiles(): Profile[] {
  const groups = new Map<string, string[]>();
  for (const n of [...RELEASE_NAMES, ...STABLE_NAMES]) {
    const k = switchKey(releaseProfile(n).switches);
    groups.set(k, [...(groups.get(k) ?? []), n]);
  }
  const reps = [...groups.values()].map((names) => names.find((n) => LTS_NAMES.has(n)) ?? names[0]!);
  return [PRE, POST, ...reps.map((n) => releaseProfile(n))];
}

const LTS_NAMES = new Set(MAINLINE_RELEASES.filter((r) => r.lts).map((r) => `linux-${r.version}`));

/** The suite profiles (see suiteProfiles): pre, post, then one per distinct release switch set. */
export const SUITE_PROFILES: readonly Profile[] = Object.freeze(suiteProfiles());

/** The profiles replayed by default (suite, golden check, diff --observed, tests): the suite profiles. */
export const BUILTIN_PROFILES: readonly Profile[] = SUITE_PROFILES;

export const BUILTIN_NAMES = BUILTIN_PROFILES.map((p) => p.name);

/** Every profile name with the same switches as `name` among pre, post, releases and stable lines. */
export function sameSwitchNames(name: string): string[] {
  const k = switchKey(builtinProfile(name).switches);
  return ['pre', 'post', ...RELEASE_NAMES, ...STABLE_NAMES].filter((n) => switchKey(builtinProfile(n).switches) === k);
}

export class ProfileError extends Error {}

/**
 * Why each switch of a built-in profile has its value (changePresent's reasons), or null for a name
 * that is not a built-in. `post` names the seed changes it adds to `pre` (v6.6.0).
 */
export function builtinSources(name: string): SwitchSource[] | null {
  if (name === 'pre') return kernelSwitches([6, 6, 0]).sources;
  if (name === 'post') {
    return kernelSwitches([6, 6, 0]).sources.map((s) => ((POST_SEED_SWITCHES as readonly string[]).includes(s.switch)
      ? { ...s, value: true, reason: 'a seed change post adds to pre (not a released kernel)' }
      : s));
  }
  const m = /^linux-(.+)$/.exec(name);
  if (!m) return null;
  try {
    return kernelSwitches(resolveKernelVersion(m[1]!)).sources;
  } catch (e) {
    if (e instanceof KernelVersionError) return null;
    throw e;
  }
}

const EXPECTED = `expected pre, post, linux-X.Y (${RELEASE_NAMES[0]} … ${RELEASE_NAMES[RELEASE_NAMES.length - 1]}), linux-X.Y.Z, linux-X.Y.y (${STABLE_LINES.map((l) => l.line).join(', ')}) or a profile file (.json)`;

export function builtinProfile(name: string): Profile {
  if (name === 'pre') return PRE;
  if (name === 'post') return POST;
  if (name.startsWith('linux-')) return releaseProfile(name);
  throw new ProfileError(`unknown profile "${name}": ${EXPECTED}`);
}

const SWITCH_KEYS = KERNEL_CHANGES.map((c) => c.switch);
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
    ? extendsOf(o.extends, where, lookup)
    : fail(`${where}: "extends" must be a profile name, got ${shown(o.extends)}`);
  const switches: Switches = { ...base.switches };
  const host: HostDefaults = { ...base.host };
  const sw = objectOrEmpty(o.switches, `${where}: "switches"`);
  for (const [k, v] of Object.entries(sw)) {
    if (!SWITCH_KEYS.includes(k as keyof Switches)) {
      throw new ProfileError(`${where}: unknown switch "${k}": expected one of ${SWITCH_KEYS.join(', ')}`);
    }
    if (typeof v !== 'boolean') {
      throw new ProfileError(`${where}: switch ${k} = ${shown(v)}: expected true or false`);
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
      if (typeof v !== 'boolean') throw new ProfileError(`${where}: host ${k} = ${shown(v)}: expected true or false`);
    } else if (k === 'early_kill' || k === 'recovery' || k === 'panic_on_oops' || k === 'panic_on_unrecoverable' || k === 'enable_soft_offline') {
      if (v !== 0 && v !== 1) {
        throw new ProfileError(`${where}: host ${k} = ${shown(v)}: expected 0 or 1${k === 'enable_soft_offline' ? ' (bit 1 of the newer bitmask, "disabled for HugeTLB pages", is not modelled)' : ''}`);
      }
    } else if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new ProfileError(`${where}: host ${k} = ${shown(v)}: expected a non-negative integer`);
    }
    (host as unknown as Record<string, unknown>)[k] = v;
  }
  const name = o.name === undefined ? `${base.name}+` : typeof o.name === 'string' && /^[A-Za-z0-9._+-]+$/.test(o.name)
    ? o.name
    : fail(`${where}: "name" must match [A-Za-z0-9._+-]+, got ${shown(o.name)}`);
  const description = typeof o.description === 'string' ? o.description : `${base.name} with overrides from ${where}`;
  return Object.freeze({ name, description, switches: Object.freeze(switches), host: Object.freeze(host) });
}

/** The base a profile extends; an unknown one is named together with the file that asked for it. */
function extendsOf(name: string, where: string, lookup: (name: string) => Profile): Profile {
  try {
    return lookup(name);
  } catch (e) {
    if (e instanceof ProfileError) throw new ProfileError(`${where}: "extends": ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * A JSON value as the user wrote it, near enough: numbers JSON cannot hold (1e400 parses to
 * Infinity) are shown as such instead of JSON.stringify's "null"; huge or deep values are cut.
 */
function shown(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return `${v} (a JSON number out of the double range)`;
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? '[…]' : '{…}'; // nested too deep to print
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function objectOrEmpty(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProfileError(`${what} must be an object`);
  return v as Record<string, unknown>;
}

function fail(msg: string): never {
  throw new ProfileError(msg);
}

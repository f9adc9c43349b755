// ras-replay import benchmark: a generated month-long fleet log (central syslog, one line per host
// message, RAS incidents among ordinary noise) and a generated rasdaemon database, each imported in
// a child process (wall time, peak RSS), against a baseline measured in the same run: a bare read
// of the same file that only counts lines.
//   npm run bench:import -- [--hosts 500] [--days 30] [--lines 4000000] [--rows 1000000] [--json bench-results.json]
// Prints lines/s (kernel log) and rows/s (rasdaemon) against the ≥ 1M lines/s and ≥ 500k rows/s
// targets, then lines/s for ftrace / trace-cmd text and mcelog ASCII (each against a bare read),
// and merges the figures into the JSON file (default bench-results.json) under "import".
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSqlJs } from '../src/import/rasdaemon.js';
import { SqliteFile } from '../src/import/sqlite-file.js';
import { checkBenchArgs } from './bench-args.js';


checkBenchArgs(import.meta.filename, 'bench:import', ['hosts', 'days', 'lines', 'rows', 'json']);
const JSON_OUT = ((i) => (i > 0 ? process.argv[i + 1]! : 'bench-results.json'))(process.argv.indexOf('--json'));
const arg = (name: string, dflt: string): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? process.argv[i + 1]! : dflt;
  if (!/^[1-9][0-9]*$/.test(v)) throw new Error(`--${name} ${JSON.stringify(v)}: expected a whole number`);
  return Number(v);
};
const HOSTS = arg('hosts', '500');
const DAYS = arg('days', '30');
const LINES = arg('lines', '4000000');
const ROWS = arg('rows', '1000000');
const ROOT = resolve(import.meta.dirname, '..');
// Generated inputs are kept between runs in a shared folder (each written under a name of this
// process and renamed into place when complete, so two benches at once never read a half-written
// or interleaved file); the runner script is this run's own, in a folder removed at exit.
const dir = join(tmpdir(), 'ras-replay-bench-import');
mkdirSync(dir, { recursive: true });
const own = mkdtempSync(join(tmpdir(), 'ras-replay-bench-import-run-'));
process.on('exit', () => rmSync(own, { recursive: true, force: true }));
const partial = (file: string): string => `${file}.${process.pid}.partial`;
const line = (name: string, v: string, extra = '') => console.log(`${name.padEnd(46)} ${v.padStart(14)}  ${extra}`);

// A deterministic generator (xorshift32), so the same arguments give the same files.
let seed = 0x2545f491;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;

const NOISE = [
  'kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc SRC=10.1.2.3 DST=10.1.2.4 LEN=60 TOS=0x00 PROTO=TCP SPT=51234 DPT=22',
  'systemd[1]: Started Session 4242 of user root.',
  'systemd[1]: Starting Cleanup of Temporary Directories...',
  'sshd[28731]: Accepted publickey for deploy from 10.20.30.40 port 53122 ssh2: ED25519 SHA256:abcdefghijklmnop',
  'CRON[1822]: (root) CMD (/usr/lib/sa/sa1 1 1)',
  'kernel: [1234567.890123] nfs: server filer01 OK',
  'kernel: [1234567.890456] IPv6: ADDRCONF(NETDEV_CHANGE): eth1: link becomes ready',
  'dockerd[1043]: time="2024-03-05T10:11:12.123456789Z" level=info msg="ignoring event" container=abc module=libcontainerd',
  'kubelet[2201]: I0305 10:11:12.123456    2201 kubelet.go:2100] "SyncLoop (PLEG): event for pod" pod="default/web-7d9f"',
  'chronyd[812]: Selected source 10.0.0.1 (ntp.internal)',
];
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A generated text file, made once: `fill` pushes its text in order and returns its figures, which
 * are kept beside it (FILE.meta, written last, so a generation cut short is made again).
 */
function generated<M extends object>(file: string, fill: (push: (s: string) => void) => M): M & { bytes: number } {
  if (existsSync(`${file}.meta`)) return JSON.parse(readFileSync(`${file}.meta`, 'utf8')) as M & { bytes: number };
  const fd = openSync(partial(file), 'w');
  let buf: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    const s = buf.join('');
    bytes += Buffer.byteLength(s);
    writeSync(fd, s);
    buf = [];
  };
  const m = fill((s) => {
    buf.push(s);
    if (buf.length >= 8192) flush();
  });
  flush();
  closeSync(fd);
  renameSync(partial(file), file);
  const meta = { ...m, bytes };
  writeFileSync(partial(`${file}.meta`), JSON.stringify(meta));
  renameSync(partial(`${file}.meta`), `${file}.meta`);
  return meta;
}

/** The fleet log: LINES lines over DAYS days of HOSTS hosts; about 1 line in 400 belongs to a RAS incident. */
function writeFleetLog(file: string): { lines: number; incidents: number; bytes: number } {
  return generated(file, (push) => {
    const start = Date.UTC(2024, 2, 1);
    const stepMs = (DAYS * 86_400_000) / LINES;
    let n = 0;
    let incidents = 0;
    while (n < LINES) {
      const ms = start + n * stepMs;
      const d = new Date(ms);
      const stamp = `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
      const host = `node-${String(Math.floor(rnd() * HOSTS)).padStart(4, '0')}`;
      if (rnd() < 1 / 400) {
        incidents++;
        const pfn = (0x100000 + Math.floor(rnd() * 0x3000000)).toString(16);
        if (rnd() < 0.8) {
          // A corrected memory error: the machine check record and the EDAC line of it.
          push(`${stamp} ${host} kernel: [${(n / 10).toFixed(6)}] mce: [Hardware Error]: Machine check events logged\n`);
          push(`${stamp} ${host} kernel: [${(n / 10).toFixed(6)}] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0x${pfn} offset:0x0 grain:32 syndrome:0x0 - area:DRAM err_code:0001:0090 socket:0 ha:0 channel_mask:1 rank:0)\n`);
          n += 2;
        } else {
          // A consumed uncorrected error: kill_me_maybe, the kill and the result.
          const pid = 1000 + Math.floor(rnd() * 60000);
          push(`${stamp} ${host} kernel: [${(n / 10).toFixed(6)}] mce: Uncorrected hardware memory error in user-access at ${pfn}400\n`);
          push(`${stamp} ${host} kernel: [${(n / 10).toFixed(6)}] Memory failure: 0x${pfn}: Sending SIGBUS to java:${pid} due to hardware memory corruption\n`);
          push(`${stamp} ${host} kernel: [${(n / 10).toFixed(6)}] Memory failure: 0x${pfn}: recovery action for dirty LRU page: Recovered\n`);
          n += 3;
        }
      } else {
        push(`${stamp} ${host} ${pick(NOISE)}\n`);
        n++;
      }
    }
    return { lines: n, incidents };
  });
}

/** A rasdaemon database with ROWS rows: mostly corrected mce_records, and UEs with their memory_failure_event and signal_event rows. */
async function writeRasdaemonDb(file: string): Promise<{ rows: number }> {
  if (existsSync(file)) return { rows: ROWS };
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  // The CREATE TABLE statements of rasdaemon's ras-record.c (current layout).
  db.run(`CREATE TABLE mce_record (id INTEGER PRIMARY KEY, timestamp TEXT, mcgcap INTEGER, mcgstatus INTEGER, status INTEGER, addr INTEGER, misc INTEGER,
    ip INTEGER, tsc INTEGER, walltime INTEGER, cpu INTEGER, cpuid INTEGER, apicid INTEGER, socketid INTEGER, cs INTEGER, bank INTEGER, cpuvendor INTEGER,
    microcode INTEGER, bank_name TEXT, error_msg TEXT, mcgstatus_msg TEXT, mcistatus_msg TEXT, mcastatus_msg TEXT, user_action TEXT, mc_location TEXT)`);
  db.run('CREATE TABLE memory_failure_event (id INTEGER PRIMARY KEY, timestamp TEXT, pfn TEXT, page_type TEXT, action_result TEXT)');
  db.run('CREATE TABLE signal_event (id INTEGER PRIMARY KEY, timestamp TEXT, sig INTEGER, errorno INTEGER, code INTEGER, comm TEXT, pid INTEGER, grp INTEGER, res INTEGER)');
  db.run('BEGIN');
  const mce = db.prepare('INSERT INTO mce_record (timestamp, mcgcap, mcgstatus, status, addr, cpu, bank, cs, cpuvendor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)');
  const mf = db.prepare('INSERT INTO memory_failure_event (timestamp, pfn, page_type, action_result) VALUES (?, ?, ?, ?)');
  const sg = db.prepare('INSERT INTO signal_event (timestamp, sig, errorno, code, comm, pid, grp, res) VALUES (?, 7, 0, 4, ?, ?, 1, 0)');
  const start = Date.UTC(2024, 2, 1) / 1000;
  let rows = 0;
  let t = start;
  while (rows < ROWS) {
    t += 1 + Math.floor(rnd() * 3);
    const ts = `${new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ')} +0000`;
    const pa = 0x100000000 + Math.floor(rnd() * 0xfffff) * 4096;
    if (rnd() < 0.9) {
      mce.run([ts, 0x1000c14, 0, 0x9c00004000010090n, pa, Math.floor(rnd() * 64), 8, 0]);
      rows++;
    } else {
      mce.run([ts, 0x1000c14, 7, 0xbd80000000100134n, pa, Math.floor(rnd() * 64), 1, 0x33]);
      mf.run([ts, `0x${(pa / 4096).toString(16)}`, 'dirty LRU page', 'Recovered']);
      sg.run([ts, 'java', 1000 + Math.floor(rnd() * 60000)]);
      rows += 3;
    }
  }
  mce.free();
  mf.free();
  sg.free();
  db.run('COMMIT');
  writeFileSync(partial(file), db.export());
  renameSync(partial(file), file);
  db.close();
  return { rows };
}

/** ftrace / trace-cmd text of LINES lines: scheduler noise, corrected mce_record lines, and consumed UEs (record, signal, memory_failure_event). */
function writeFtrace(file: string): { lines: number; bytes: number } {
  return generated(file, (push) => {
    push('cpus=64\n');
    let n = 1;
    while (n < LINES) {
      const cpu = String(Math.floor(rnd() * 64)).padStart(3, '0');
      const t = (5000 + n / 1000).toFixed(6);
      const r = rnd();
      if (r < 1 / 200) {
        const pid = 1000 + Math.floor(rnd() * 60000);
        const pa = (0x100000000 + Math.floor(rnd() * 0xfffff) * 4096 + 0x400).toString(16).padStart(16, '0');
        push(`       java-${pid}  [${cpu}] d.... ${t}: mce_record: CPU: ${Number(cpu)}, MCGc/s: 1000c14/7, MC1: bd80000000100134, IPID: 0000000000000000, ADDR: ${pa}, MISC: 0000000000000086, SYND: 0000000000000000, RIP: 33:<00007f3a1b2c3d4e>, TSC: 2f8e3b4c5d6, PPIN: 0, vendor: 0, CPUID: 50654, time: 1700000000, socket: 0, APIC: 6, microcode: 2006906\n`);
        push(`       java-${pid}  [${cpu}] d.... ${t}: signal_generate: sig=7 errno=0 code=4 comm=java pid=${pid} grp=0 res=0\n`);
        push(`       java-${pid}  [${cpu}] ..... ${t}: memory_failure_event: pfn 0x${pa.slice(0, 13).replace(/^0+/, '')}: recovery action for dirty LRU page: Recovered\n`);
        n += 3;
      } else if (r < 1 / 20) {
        const pa = (0x100000000 + Math.floor(rnd() * 0xfffff) * 4096).toString(16).padStart(16, '0');
        push(`     <idle>-0     [${cpu}] d.h.. ${t}: mce_record: CPU: ${Number(cpu)}, MCGc/s: 1000c14/0, MC8: 9c00004000010090, IPID: 0000000000000000, ADDR: ${pa}, MISC: 0000000140000086, SYND: 0000000000000000, RIP: 00:<0000000000000000>, TSC: 2f8e3b4c5d6, PPIN: 0, vendor: 0, CPUID: 50654, time: 1700000000, socket: 0, APIC: 6, microcode: 2006906\n`);
        n++;
      } else {
        const pid = 100 + Math.floor(rnd() * 30000);
        push(`     <idle>-0     [${cpu}] d.... ${t}: sched_switch: prev_comm=swapper/${Number(cpu)} prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=kworker/${Number(cpu)}:1 next_pid=${pid} next_prio=120\n`);
        n++;
      }
    }
    return { lines: n };
  });
}

/** mcelog ASCII of about LINES / 4 lines: corrected memory-controller records, and now and then an SRAO one. */
function writeMcelog(file: string): { lines: number; bytes: number } {
  return generated(file, (push) => {
    let n = 0;
    let k = 0;
    const target = Math.max(16, Math.floor(LINES / 4));
    while (n < target) {
      const time = 1700000000 + k * 7;
      const addr = (0x100000000 + Math.floor(rnd() * 0xfffff) * 4096).toString(16);
      const cpu = Math.floor(rnd() * 64);
      const lines = rnd() < 0.02
        ? ['Hardware event. This is not a software error.', `MCE ${k}`, `CPU ${cpu} BANK 7 TSC 1c57b2e4f1a`, `MISC 8c ADDR ${addr}`,
          `TIME ${time} ${new Date(time * 1000).toUTCString()}`, 'MCG status:RIPV MCIP', 'MCi status:', 'Uncorrected error', 'Error enabled',
          'MCi_MISC register valid', 'MCi_ADDR register valid', 'SRAO', 'MCA: MEMORY CONTROLLER MS_CHANNEL0_ERR', 'Transaction: Memory scrubbing error',
          'STATUS bd000000000000c0 MCGSTATUS 5', `MCGCAP 1000c14 APICID ${cpu} SOCKETID 0`, 'CPUID Vendor Intel Family 6 Model 85']
        : ['Hardware event. This is not a software error.', `MCE ${k}`, `CPU ${cpu} BANK 8 TSC 1c57b2f0000`, `MISC 140000086 ADDR ${addr}`,
          `TIME ${time} ${new Date(time * 1000).toUTCString()}`, 'MCG status:', 'MCi status:', 'Corrected error', 'MCi_MISC register valid',
          'MCi_ADDR register valid', 'MCA: MEMORY CONTROLLER RD_CHANNEL0_ERR', 'STATUS 9c00004000010090 MCGSTATUS 0',
          `MCGCAP 1000c14 APICID ${cpu} SOCKETID 0`, 'CPUID Vendor Intel Family 6 Model 85'];
      push(`${lines.join('\n')}\n`);
      n += lines.length;
      k++;
    }
    return { lines: n };
  });
}

/** Import in a child process: the importer alone (no output files), its wall time and peak RSS. */
function timedImport(file: string, format: string): { seconds: number; cpuSeconds: number; events: number; lines: number | null; maxRssMb: number } {
  const script = `import { importSource } from ${JSON.stringify(join(ROOT, 'src/import/index.ts'))};
    import { peakRssMb } from ${JSON.stringify(join(ROOT, 'src/io/peak-rss.ts'))};
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await importSource(${JSON.stringify(file)}, { format: ${JSON.stringify(format)} });
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (c.user + c.system) / 1e6, events: r.table.count, lines: r.lines, maxRssMb: peakRssMb() }));`;
  const runner = join(own, 'runner.mts');
  writeFileSync(runner, script);
  const p = spawnSync(process.execPath, ['--import', 'tsx', runner], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (p.status !== 0) throw new Error(`import of ${file} failed: ${p.stderr}`);
  return JSON.parse(p.stdout) as { seconds: number; cpuSeconds: number; events: number; lines: number | null; maxRssMb: number };
}

/** Baseline: read the file in 8 MiB chunks and count newlines (no decoding, no parsing). */
function baselineRead(file: string): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  let n = 0;
  const t0 = performance.now();
  for (;;) {
    const got = readSync(fd, buf, 0, buf.length, null);
    if (got === 0) break;
    let i = -1;
    while ((i = buf.indexOf(10, i + 1)) >= 0 && i < got) n++;
  }
  closeSync(fd);
  const s = (performance.now() - t0) / 1000;
  return n / s;
}

/** Baseline: every row of every table of the database through the SQLite file reader, every column decoded. */
function baselineRows(file: string): number {
  const bytes = readFileSync(file);
  const t0 = performance.now();
  const f = new SqliteFile(bytes);
  let n = 0;
  let values = 0;
  for (const t of f.schema()) {
    if (t.type !== 'table') continue;
    f.scan(t.rootpage, () => {
      n++;
      for (let i = 0; i < f.ncols; i++) if (f.value(i) !== null) values++;
    });
  }
  const s = (performance.now() - t0) / 1000;
  if (values === 0 && n > 0) throw new Error('baseline read no value');
  return n / s;
}

const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString(), hosts: HOSTS, days: DAYS };
const logFile = join(dir, `fleet-${HOSTS}h-${DAYS}d-${LINES}.log`);
let t0 = performance.now();
const meta = writeFleetLog(logFile);
line('generate fleet log', `${((performance.now() - t0) / 1000).toFixed(1)} s`, `${meta.lines} lines, ${(meta.bytes / 1e6).toFixed(0)} MB, ${meta.incidents} incidents`);
const base = baselineRead(logFile);
line('baseline: read + count lines', `${(base / 1e6).toFixed(2)}M lines/s`);
const k = timedImport(logFile, 'kernel-log');
const kls = (k.lines ?? meta.lines) / k.seconds;
line('kernel log import (streamed)', `${(kls / 1e6).toFixed(2)}M lines/s`, `${k.events} events (${Math.round(k.events / k.seconds)}/s), ${k.seconds.toFixed(2)} s, peak RSS ${k.maxRssMb} MB, ${(kls / base).toFixed(2)}× baseline; target ≥ 1M lines/s`);
results.kernel_log = { lines: k.lines, bytes: meta.bytes, events: k.events, seconds: k.seconds, lines_per_s: Math.round(kls), events_per_s: Math.round(k.events / k.seconds), max_rss_mb: k.maxRssMb, baseline_lines_per_s: Math.round(base) };

const dbFile = join(dir, `rasdaemon-${ROWS}.db`);
t0 = performance.now();
const dbm = await writeRasdaemonDb(dbFile);
line('generate rasdaemon database', `${((performance.now() - t0) / 1000).toFixed(1)} s`, `${dbm.rows} rows`);
const rbase = baselineRows(dbFile);
line('baseline: read every row (SQLite file reader)', `${(rbase / 1e3).toFixed(0)}k rows/s`);
const r = timedImport(dbFile, 'rasdaemon');
const rrs = dbm.rows / r.seconds;
line('rasdaemon import', `${(rrs / 1e3).toFixed(0)}k rows/s`, `${r.events} events, ${r.seconds.toFixed(2)} s (${r.cpuSeconds.toFixed(2)} s CPU), peak RSS ${r.maxRssMb} MB, ${(rrs / rbase).toFixed(2)}× baseline; target ≥ 500k rows/s`);
results.rasdaemon = { rows: dbm.rows, events: r.events, seconds: r.seconds, cpu_seconds: r.cpuSeconds, rows_per_s: Math.round(rrs), max_rss_mb: r.maxRssMb, baseline_rows_per_s: Math.round(rbase) };

// The text sources besides kernel logs: ftrace / trace-cmd text and mcelog ASCII, each streamed.
for (const [key, label, format, make] of [
  ['ftrace', 'ftrace / trace-cmd text import (streamed)', 'ftrace', writeFtrace],
  ['mcelog', 'mcelog ASCII import (streamed)', 'mcelog', writeMcelog],
] as const) {
  const file = join(dir, `${key}-${LINES}.txt`);
  t0 = performance.now();
  const m = make(file);
  line(`generate ${key} text`, `${((performance.now() - t0) / 1000).toFixed(1)} s`, `${m.lines} lines, ${(m.bytes / 1e6).toFixed(0)} MB`);
  const b = baselineRead(file);
  const x = timedImport(file, format);
  const lps = m.lines / x.seconds;
  line(label, `${(lps / 1e6).toFixed(2)}M lines/s`, `${x.events} events (${Math.round(x.events / x.seconds)}/s), ${x.seconds.toFixed(2)} s, peak RSS ${x.maxRssMb} MB, ${(lps / b).toFixed(2)}× a bare read (${(b / 1e6).toFixed(2)}M lines/s)`);
  results[key] = { lines: m.lines, bytes: m.bytes, events: x.events, seconds: x.seconds, lines_per_s: Math.round(lps), events_per_s: Math.round(x.events / x.seconds), max_rss_mb: x.maxRssMb, baseline_lines_per_s: Math.round(b) };
}

// Merge into the JSON file under "import" (other benchmarks keep their keys).
let all: Record<string, unknown> = {};
if (existsSync(JSON_OUT)) all = JSON.parse(readFileSync(JSON_OUT, 'utf8')) as Record<string, unknown>;
all.import = results;
writeFileSync(JSON_OUT, `${JSON.stringify(all, null, 2)}\n`);
console.log(`figures written to ${JSON_OUT} (key "import")`);

// CLI-level regressions (the real CLI, CI=true): exit 2 with one line on stderr and no stack
// trace, where the defects ended in "internal error" and exit 70: `sql` and `report` given a run's
// database, `sql` writing a file with COPY … TO (refused unless --allow-write), `run --out` a file.
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../helpers.js';

const d = mkdtempSync(join(tmpdir(), 'ras-fuzz-cli-'));

function usage(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(r.stderr, r.stderr).toMatch(pattern);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('CLI: wrong databases, writes, outputs', () => {
  const runDb = join(d, 'out', 'ras.duckdb');
  beforeAll(() => {
    const r = cli(['run', 'traces/x86.csv', '-p', 'post', '-o', join(d, 'out'), '-q', '-w', '1']);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  it('sql --store given a run database', () => {
    usage(cli(['sql', 'SELECT 1', '--store', runDb]), /--store .*ras\.duckdb: this is a run database \(`ras-replay run --out DIR`\), not a nightly store: use --attach DIR/);
  });

  it('report --store given a run database', () => {
    usage(cli(['report', '--store', runDb, '-o', join(d, 'r.html')]), /--store .*ras\.duckdb: this is a run database/);
    expect(existsSync(join(d, 'r.html'))).toBe(false);
  });

  it('sql: COPY … TO is refused without --allow-write and nothing is written; allowed with it', () => {
    const target = join(d, 'copied.csv');
    const store = join(d, 'none.duckdb'); // no store yet: the in-memory empty store
    usage(cli(['sql', `COPY (SELECT 42 AS x) TO '${target}'`, '--store', store]), /sql: a statement starting with "COPY": expected a query .* --allow-write/);
    expect(existsSync(target)).toBe(false);
    usage(cli(['sql', `ATTACH '${join(d, 'a.duckdb')}' AS a`, '--store', store]), /sql: a statement starting with "ATTACH"/);
    usage(cli(['sql', 'INSTALL httpfs', '--store', store]), /sql: a statement starting with "INSTALL"/);
    const ok = cli(['sql', `COPY (SELECT 42 AS x) TO '${target}'`, '--store', store, '--allow-write']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(target)).toBe(true);
    const q = cli(['sql', 'SELECT 40 + 2 AS x', '--store', store, '--format', 'csv']);
    expect(q.stdout).toBe('x\n42\n');
  });

  it('run --out naming a file', () => {
    writeFileSync(join(d, 'plain'), 'x');
    usage(cli(['run', 'traces/x86.csv', '-p', 'post', '-o', join(d, 'plain'), '-q', '-w', '1']), /--out .*plain: is a file: expected a folder/);
  });

  it('run --jsonl and explain on an Arrow trace with a damaged schema: exit 2 naming the byte, no loop', () => {
    // The whole-event reader (readTraceArrowEvents) went to apache-arrow without the framing
    // checks and looped for minutes on this schema (fields[23].children[0] points outside it).
    const f = 'test/fuzz/regressions/fixtures/schema-children.arrows';
    const msg = /schema-children\.arrows: byte 0: damaged Arrow IPC message: Schema\.fields\[23\]\.children\[0\] at 4294966270 outside the 1744-byte metadata/;
    usage(cli(['run', f, '--jsonl', '-p', 'post']), msg);
    usage(cli(['explain', f, '-e', '1', '-p', 'post']), msg);
  });

  it('leaves no ras-replay temp folder in $TMPDIR', () => {
    const r = cli(['sql', 'SELECT 1', '--store', runDb]);
    expect(r.code).toBe(2);
    // The CLI child uses the shared $TMPDIR; its spill folders carry its pid and are gone after exit.
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('ras-replay-duck-') && f.includes(`-${r.pid}-`))).toEqual([]);
  });
});

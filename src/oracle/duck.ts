// A small DuckDB session for the oracle (diff, compare, golden, sql): an in-memory database with a
// bounded buffer pool (it spills to a temp folder), helpers to run SQL and read small results.
import type { DuckDBConnection, DuckDBInstance as DuckDBInstanceType } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../io/atomic.js';
import { InputError } from '../io/errors.js';
import { duckdbApi } from '../io/duckdb-api.js';

const { DuckDBInstance } = duckdbApi;
type DuckDBInstance = DuckDBInstanceType;

/** A SQL string literal. */
export const lit = (v: string): string => `'${v.replace(/'/g, "''")}'`;
/** A SQL identifier. */
export const ident = (v: string): string => `"${v.replace(/"/g, '""')}"`;

export type Row = Record<string, unknown>;

export class Duck {
  private constructor(private readonly inst: DuckDBInstance, readonly con: DuckDBConnection, private readonly spill: string | null) {}

  /** `tempIn`: the folder to spill in (a fresh subfolder, removed on close); default the system temp. */
  static async open(path = ':memory:', opts: { memoryLimit?: string; threads?: number; readOnly?: boolean; tempIn?: string } = {}): Promise<Duck> {
    const spill = opts.tempIn ? mkdtempSync(join(opts.tempIn, '.ras-replay-duck-')) : scratchDir('ras-replay-duck-');
    const config: Record<string, string> = {
      memory_limit: opts.memoryLimit ?? '2GB',
      threads: String(opts.threads ?? 2),
      temp_directory: spill,
    };
    if (opts.readOnly) config.access_mode = 'READ_ONLY';
    let inst: DuckDBInstance;
    try {
      inst = await DuckDBInstance.create(path, config);
    } catch (e) {
      rmSync(spill, { recursive: true, force: true });
      throw new InputError(`${path}: cannot open as a DuckDB database: ${(e as Error).message}`, path, undefined, undefined, { cause: e });
    }
    return new Duck(inst, await inst.connect(), spill);
  }

  /** Another connection to the same database (parallel queries; TEMP objects are per connection). */
  async connect(): Promise<DuckDBConnection> {
    return this.inst.connect();
  }

  async run(sql: string): Promise<void> {
    await this.con.run(sql);
  }

  /** All rows as plain objects: BIGINT as bigint, lists as arrays. For small results only. */
  async rows(sql: string): Promise<Row[]> {
    const r = await this.con.runAndReadAll(sql);
    return r.getRowObjectsJS() as Row[];
  }

  async scalar(sql: string): Promise<unknown> {
    const r = await this.rows(sql);
    const first = r[0];
    return first ? Object.values(first)[0] : undefined;
  }

  close(): void {
    try {
      this.con.closeSync();
      this.inst.closeSync();
    } finally {
      if (this.spill) rmSync(this.spill, { recursive: true, force: true });
    }
  }
}

/** A bigint or number from DuckDB as a number (counts). */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

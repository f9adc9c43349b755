// Where a run's --out folder keeps each kind of file. Arrow IPC streams and Parquet live in separate
// trees so that a folder read by another tool (pandas.read_parquet(DIR/parquet/outcomes), Spark,
// pyarrow.dataset) meets Parquet files only:
//   DIR/outcomes/profile=P/shard=S/part-0.arrows           DIR/signals/…
//   DIR/parquet/outcomes/profile=P/shard=S/part-0.parquet  DIR/parquet/signals/…
//   DIR/ras.duckdb, DIR/_shards/<i>-of-<N>.json
import { join } from 'node:path';

export type RunTable = 'outcomes' | 'signals';

/** The Parquet tree of one table: DIR/parquet/<table>. */
export function parquetTree(outDir: string, table: RunTable): string {
  return join(outDir, 'parquet', table);
}

/** The glob DuckDB reads a table's Parquet files with (hive partitions profile, shard). */
export function parquetGlob(outDir: string, table: RunTable): string {
  return join(parquetTree(outDir, table), '*', '*', '*.parquet');
}

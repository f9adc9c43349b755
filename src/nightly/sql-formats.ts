// Output formats of `sql`: a module of its own so the CLI can list them without loading DuckDB.
export const SQL_FORMATS = ['table', 'csv', 'json', 'parquet'] as const;
export type SqlFormat = (typeof SQL_FORMATS)[number];

// @duckdb/node-api, loaded by require: an ESM import of this CommonJS package makes node lex its
// sources for their named exports (about 60 ms of a command's start-up). Every module that needs
// its values (not only its types) takes them from here.
import { createRequire } from 'node:module';

export const duckdbApi = createRequire(import.meta.url)('@duckdb/node-api') as typeof import('@duckdb/node-api');

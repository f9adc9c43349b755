// Worker entry: load the TypeScript worker through tsx's loader (workers do not inherit it).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);

// The importable source formats: a module of its own so the CLI can list them without loading the importers.
import type { SourceFormat } from './common.js';

export const SOURCE_FORMATS: readonly SourceFormat[] = ['rasdaemon', 'kernel-log', 'ftrace', 'mcelog', 'ras-mc-ctl'];

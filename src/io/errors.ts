// One error type for bad input: it names the place (file, row, column), the value and what was
// expected. The CLI turns it into exit code 2.

export class InputError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly row?: string,
    readonly column?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static at(file: string, row: string, column: string, value: string, expected: string): InputError {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return new InputError(`${file}: ${row}: column ${column}: value ${JSON.stringify(shown)}: expected ${expected}`, file, row, column);
  }
}

/**
 * A write that failed because the file system is full (ENOSPC, or EDQUOT: over quota), from Node's
 * fs or DuckDB (its IO errors carry only text), anywhere in the cause chain: an InputError naming
 * the file (its final name: a temporary's suffix is dropped). Null for any other error.
 */
export function diskFullError(e: unknown): InputError | null {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 8; x = x.cause, depth++) {
    const code = (x as NodeJS.ErrnoException).code;
    const text = x.message;
    if (/the disk is full \(/.test(text)) return null; // already said (a child's message passed on)
    const quota = code === 'EDQUOT' || /Disk quota exceeded/i.test(text);
    if (!quota && code !== 'ENOSPC' && !/No space left on device|\bENOSPC\b/i.test(text)) continue;
    const named = (x as NodeJS.ErrnoException).path ?? /file "([^"]+)"/.exec(text)?.[1] ?? /'([^']+)'/.exec(text)?.[1] ?? (x instanceof InputError ? x.file : undefined);
    const file = named === undefined ? 'an output file' : named.replace(/\.tmp-\d+-\d+(@[^/]*?)?(?=(\.duckdb)?(\.wal)?$)/, '');
    const what = quota ? 'the disk quota is exhausted (EDQUOT: disk quota exceeded)' : 'the disk is full (ENOSPC: no space left on device)';
    return new InputError(`${file}: cannot write: ${what}: free space or write elsewhere (nothing incomplete is left at a final name)`, file, undefined, undefined, { cause: e });
  }
  return null;
}

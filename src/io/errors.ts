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

// JSON for data with 64-bit ids: bigints as decimal strings (exact; JSON numbers are doubles).

export const bigintAsString = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

export function jsonText(v: unknown, indent?: number): string {
  return JSON.stringify(v, bigintAsString, indent);
}

// A validator for the subset of JSON Schema (2020-12) that docs/schema/*.json use: type, enum,
// properties, required, additionalProperties, propertyNames, items, oneOf, minimum, maximum,
// minLength, minItems, maxItems, pattern. A keyword outside the subset is an error, so a schema
// cannot silently claim more than is checked. Integers may be bigint (64-bit trace columns).

export type Schema = { [k: string]: unknown };

const KNOWN = new Set([
  '$schema', '$id', '$comment', 'title', 'description', 'type', 'enum', 'properties', 'required',
  'additionalProperties', 'propertyNames', 'items', 'oneOf', 'minimum', 'maximum', 'minLength',
  'minItems', 'maxItems', 'pattern',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function show(v: unknown): string {
  const s = typeof v === 'bigint' ? String(v) : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Every violation of `schema` by `value`, as "path: value V: expected …" (empty when valid). */
export function validateJson(schema: Schema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`${path}: schema keyword ${k} is outside the supported subset`);
  const out: string[] = [];
  const bad = (expected: string) => out.push(`${path}: value ${show(value)}: expected ${expected}`);
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((x) => x === t || (x === 'number' && t === 'integer'))) {
      bad(types.join(' or '));
      return out;
    }
  }
  if (schema.enum !== undefined && !(schema.enum as unknown[]).some((e) => e === value || (typeof value === 'bigint' && e === Number(value)))) {
    bad(`one of ${(schema.enum as unknown[]).map((e) => String(e)).join(', ')}`);
  }
  if (t === 'integer' || t === 'number') {
    const n = value as number | bigint;
    if (schema.minimum !== undefined && n < (typeof n === 'bigint' ? BigInt(schema.minimum as number) : (schema.minimum as number))) bad(`≥ ${String(schema.minimum)}`);
    if (schema.maximum !== undefined && (typeof n === 'bigint' ? n > BigInt(String(schema.maximum)) : n > (schema.maximum as number))) bad(`≤ ${String(schema.maximum)}`);
  }
  if (t === 'string') {
    const s = value as string;
    if (schema.minLength !== undefined && s.length < (schema.minLength as number)) bad(`at least ${schema.minLength as number} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern as string, 'u').test(s)) bad(`a string matching ${schema.pattern as string}`);
  }
  if (t === 'array') {
    const a = value as unknown[];
    if (schema.minItems !== undefined && a.length < (schema.minItems as number)) bad(`at least ${schema.minItems as number} items`);
    if (schema.maxItems !== undefined && a.length > (schema.maxItems as number)) bad(`at most ${schema.maxItems as number} items`);
    if (schema.items !== undefined) a.forEach((x, i) => out.push(...validateJson(schema.items as Schema, x, `${path}[${i}]`)));
  }
  if (t === 'object') {
    const o = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in o)) out.push(`${path}: missing key ${r}`);
    for (const [k, v] of Object.entries(o)) {
      if (schema.propertyNames !== undefined) out.push(...validateJson(schema.propertyNames as Schema, k, `${path} key`));
      if (k in props) out.push(...validateJson(props[k]!, v, `${path}.${k}`));
      else if (schema.additionalProperties === false) out.push(`${path}: unknown key ${k}: expected one of ${Object.keys(props).join(', ')}`);
      else if (typeof schema.additionalProperties === 'object') out.push(...validateJson(schema.additionalProperties as Schema, v, `${path}.${k}`));
    }
  }
  if (schema.oneOf !== undefined) {
    const ok = (schema.oneOf as Schema[]).filter((s) => validateJson(s, value, path).length === 0).length;
    if (ok !== 1) bad(`exactly one of ${(schema.oneOf as Schema[]).length} alternatives (${ok} matched)`);
  }
  return out;
}

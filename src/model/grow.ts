// Growth of the reusable typed-array buffers (capacity doubles; contents kept).
type Typed = Uint32Array | Uint8Array | Int8Array | Float64Array;

export function grown<T extends Typed>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(Math.max(16, a.length * 2));
  b.set(a as never);
  return b;
}

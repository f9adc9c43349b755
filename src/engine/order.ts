// Per-host replay order (t_ns, event_id), checked across batches without BigInt arithmetic.
import { InputError } from '../io/errors.js';
import { EventColumns } from '../columns/events.js';

export class OrderCheck {
  private tHi = new Int32Array(1024);
  private tLo = new Uint32Array(1024);
  private idHi = new Uint32Array(1024);
  private idLo = new Uint32Array(1024);
  private seen = new Uint8Array(1024);
  private lastHost = -1;

  constructor(private readonly file: string, readonly hostNames: readonly string[]) {}

  check(c: EventColumns, batchNo: number): void {
    const n = c.n;
    const ordered = c.hostOrdered;
    for (let i = 0; i < n; i++) {
      const h = c.host[i]!;
      if (h >= this.seen.length) this.grow(h + 1);
      if (ordered && h !== this.lastHost) {
        if (this.seen[h]) {
          throw InputError.at(this.file, `batch ${batchNo} row ${i}`, 'host', this.hostNames[h]!,
            'each host once (the trace declares ras-replay.host_ordered, but this host appeared earlier)');
        }
        this.lastHost = h;
      }
      const th = c.tNsW[2 * i + 1]!;
      const tl = c.tNsW[2 * i]! >>> 0;
      const ih = c.eventIdW[2 * i + 1]!;
      const il = c.eventIdW[2 * i]!;
      if (this.seen[h]) {
        const ph = this.tHi[h]!;
        const pl = this.tLo[h]!;
        const before = th < ph || (th === ph && (tl < pl || (tl === pl && (ih < this.idHi[h]! || (ih === this.idHi[h]! && il <= this.idLo[h]!)))));
        if (before) {
          throw InputError.at(this.file, `batch ${batchNo} row ${i}`, 't_ns', String(c.tNs[i]),
            `(t_ns, event_id) after the previous event of host ${this.hostNames[h]} (t_ns ${this.tHi[h]! * 4294967296 + this.tLo[h]!}, event_id ${this.idHi[h]! * 4294967296 + this.idLo[h]!}); sort the trace by (host, t_ns, event_id) first (CSV traces: --sort)`);
        }
      }
      this.seen[h] = 1;
      this.tHi[h] = th;
      this.tLo[h] = tl;
      this.idHi[h] = ih;
      this.idLo[h] = il;
    }
  }

  private grow(min: number): void {
    const n = Math.max(min, this.seen.length * 2);
    const g = <T extends Int32Array | Uint32Array | Uint8Array>(a: T, make: (k: number) => T): T => {
      const b = make(n);
      b.set(a as never);
      return b;
    };
    this.tHi = g(this.tHi, (k) => new Int32Array(k));
    this.tLo = g(this.tLo, (k) => new Uint32Array(k));
    this.idHi = g(this.idHi, (k) => new Uint32Array(k));
    this.idLo = g(this.idLo, (k) => new Uint32Array(k));
    this.seen = g(this.seen, (k) => new Uint8Array(k));
  }
}

// Outcome and signal columns of one batch under one profile, written by the replay loop from the
// model's reusable Outcome (no per-event objects).
import { grown } from '../model/grow.js';
import { NO_ADDR, Outcome } from '../model/record.js';

type Alloc = (bytes: number) => ArrayBuffer | SharedArrayBuffer;
const plain: Alloc = (b) => new ArrayBuffer(b);

export class OutcomeColumns {
  n = 0;
  capacity = 0;
  panic!: Uint8Array;
  panicMsg!: Int8Array;
  panicPfn!: Float64Array;
  rebootLoop!: Uint8Array;
  vmcore!: Uint8Array;
  mfType!: Int8Array;
  mfResult!: Int8Array;
  mfRet!: Int32Array;
  mfRan!: Uint8Array;
  poisoned!: Uint8Array;
  unmapped!: Uint8Array;
  guestAction!: Uint8Array;
  path!: Uint8Array;

  constructor(capacity: number, private readonly alloc: Alloc = plain) {
    this.ensure(capacity);
  }

  ensure(c: number): void {
    if (c <= this.capacity) return;
    const a = this.alloc;
    this.panic = new Uint8Array(a(c));
    this.panicMsg = new Int8Array(a(c));
    this.panicPfn = new Float64Array(a(c * 8));
    this.rebootLoop = new Uint8Array(a(c));
    this.vmcore = new Uint8Array(a(c));
    this.mfType = new Int8Array(a(c));
    this.mfResult = new Int8Array(a(c));
    this.mfRet = new Int32Array(a(c * 4));
    this.mfRan = new Uint8Array(a(c));
    this.poisoned = new Uint8Array(a(c));
    this.unmapped = new Uint8Array(a(c));
    this.guestAction = new Uint8Array(a(c));
    this.path = new Uint8Array(a(c));
    this.capacity = c;
  }

  set(i: number, o: Outcome): void {
    this.panic[i] = o.panic ? 1 : 0;
    this.panicMsg[i] = o.panicMsg;
    this.panicPfn[i] = o.panicPfn;
    this.rebootLoop[i] = o.rebootLoop ? 1 : 0;
    this.vmcore[i] = o.vmcore;
    this.mfType[i] = o.mfType;
    this.mfResult[i] = o.mfResult;
    this.mfRet[i] = o.mfRan ? o.mfRet : 0;
    this.mfRan[i] = o.mfRan ? 1 : 0;
    this.poisoned[i] = o.poisoned ? 1 : 0;
    this.unmapped[i] = o.unmapped ? 1 : 0;
    this.guestAction[i] = o.guestAction;
    this.path[i] = o.path;
  }

  buffers(): Record<string, ArrayBufferLike> {
    const o: Record<string, ArrayBufferLike> = {};
    for (const k of OUTCOME_KEYS) o[k] = this[k].buffer;
    return o;
  }

  static fromBuffers(capacity: number, b: Record<string, ArrayBufferLike>): OutcomeColumns {
    const c = new OutcomeColumns(0);
    c.capacity = capacity;
    c.panic = new Uint8Array(b.panic!);
    c.panicMsg = new Int8Array(b.panicMsg!);
    c.panicPfn = new Float64Array(b.panicPfn!);
    c.rebootLoop = new Uint8Array(b.rebootLoop!);
    c.vmcore = new Uint8Array(b.vmcore!);
    c.mfType = new Int8Array(b.mfType!);
    c.mfResult = new Int8Array(b.mfResult!);
    c.mfRet = new Int32Array(b.mfRet!);
    c.mfRan = new Uint8Array(b.mfRan!);
    c.poisoned = new Uint8Array(b.poisoned!);
    c.unmapped = new Uint8Array(b.unmapped!);
    c.guestAction = new Uint8Array(b.guestAction!);
    c.path = new Uint8Array(b.path!);
    return c;
  }
}

const OUTCOME_KEYS = [
  'panic', 'panicMsg', 'panicPfn', 'rebootLoop', 'vmcore', 'mfType', 'mfResult', 'mfRet', 'mfRan', 'poisoned',
  'unmapped', 'guestAction', 'path',
] as const;

/** Signal rows of one batch, in (row, seq) order. */
export class SignalColumns {
  n = 0;
  row = new Uint32Array(1024);
  seq = new Uint8Array(1024);
  pid = new Uint32Array(1024);
  tid = new Uint32Array(1024);
  signo = new Uint8Array(1024);
  siCode = new Uint8Array(1024);
  addr = new Float64Array(1024);
  lsb = new Int8Array(1024);

  clear(): void {
    this.n = 0;
  }

  add(row: number, o: Outcome): void {
    const s = o.signals;
    for (let k = 0; k < s.count; k++) {
      if (this.n === this.row.length) this.grow();
      const j = this.n++;
      this.row[j] = row;
      this.seq[j] = k;
      this.pid[j] = s.pid[k]!;
      this.tid[j] = s.tid[k]!;
      this.signo[j] = s.signo[k]!;
      this.siCode[j] = s.siCode[k]!;
      this.addr[j] = s.addr[k]!;
      this.lsb[j] = s.lsb[k]!;
    }
  }

  /** Append rows [from, to) of another buffer (merging worker results in row order). */
  copyFrom(o: SignalColumns, from: number, to: number): void {
    for (let j = from; j < to; j++) {
      if (this.n === this.row.length) this.grow();
      const k = this.n++;
      this.row[k] = o.row[j]!;
      this.seq[k] = o.seq[j]!;
      this.pid[k] = o.pid[j]!;
      this.tid[k] = o.tid[j]!;
      this.signo[k] = o.signo[j]!;
      this.siCode[k] = o.siCode[j]!;
      this.addr[k] = o.addr[j]!;
      this.lsb[k] = o.lsb[j]!;
    }
  }

  private grow(): void {
    this.row = grown(this.row);
    this.seq = grown(this.seq);
    this.pid = grown(this.pid);
    this.tid = grown(this.tid);
    this.signo = grown(this.signo);
    this.siCode = grown(this.siCode);
    this.addr = grown(this.addr);
    this.lsb = grown(this.lsb);
  }
}

export { NO_ADDR };

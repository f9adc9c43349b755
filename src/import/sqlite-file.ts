// A read-only reader of the SQLite database file format (https://www.sqlite.org/fileformat2.html),
// for the one thing the rasdaemon importer needs fast: every row of a few rowid tables, in rowid
// order. It reads the header, sqlite_schema (the table b-tree rooted at page 1), table b-tree
// interior (0x05) and leaf (0x0D) pages, record headers (varints, serial types) and overflow
// chains, bounds-checked at every step. Anything it does not handle, or any inconsistency, throws
// SqliteUnsupported and the caller reads the file with sql.js instead, so that SQLite itself
// decides what a damaged or unusual file means (docs/import.md §rasdaemon "Reading the file").

/** The file is outside what this reader handles (or inconsistent): read it with SQLite. */
export class SqliteUnsupported extends Error {}

const unsupported = (why: string): never => {
  throw new SqliteUnsupported(why);
};

/** One row of sqlite_schema. */
export interface SchemaRow {
  type: string;
  name: string;
  tblName: string;
  rootpage: number;
  sql: string | null;
}

/**
 * A value as sql.js returns it, except that an integer in [-2^53, 2^53) is a number (a bigint
 * only beyond): null, number, bigint, string or Uint8Array.
 */
export type SqlValue = null | number | bigint | string | Uint8Array;

const TWO32 = 4294967296;
/** For text already checked to be ASCII (windows-1252 agrees with ASCII below 0x80). */
const ASCII = new TextDecoder('latin1');

export class SqliteFile {
  readonly bytes: Uint8Array;
  readonly pageSize: number;
  /** Usable bytes of a page (page size less the reserved bytes at its end). */
  readonly usable: number;
  readonly pages: number;
  private readonly view: DataView;
  /** Pages visited by the current scan (a page reached twice is a damaged tree). */
  private seen: Uint8Array;
  /** Payload of a cell that spills onto overflow pages, assembled here. */
  private spill = new Uint8Array(0);
  // The record being decoded: its bytes, and per column the serial type and offset.
  private rec: Uint8Array;
  /** A view of `rec` (8-byte integers in one read), and whether `rec` is a Buffer (text sliced without a copy of the bytes). */
  private recView: DataView;
  private recBuffer: boolean;
  private types = new Float64Array(64);
  private offs = new Int32Array(64);
  /** Columns in the current record. */
  ncols = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.rec = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.recView = this.view;
    this.recBuffer = Buffer.isBuffer(bytes);
    if (bytes.length < 512) unsupported('shorter than one page');
    const ps = this.view.getUint16(16);
    const pageSize = ps === 1 ? 65536 : ps;
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) unsupported(`page size ${ps}`);
    // File format write/read versions: 1 legacy (rollback journal), 2 WAL. A WAL-mode file is read
    // by SQLite (its -wal file, if any, is not read by either path: sql.js opens the bytes alone).
    if (bytes[18] !== 1 || bytes[19] !== 1) unsupported('not a rollback-journal database');
    if (bytes[21] !== 64 || bytes[22] !== 32 || bytes[23] !== 32) unsupported('payload fractions');
    if (this.view.getUint32(56) !== 1) unsupported('text encoding is not UTF-8');
    const reserved = bytes[20]!;
    this.pageSize = pageSize;
    this.usable = pageSize - reserved;
    if (this.usable < 480) unsupported('usable page size below 480');
    if (bytes.length % pageSize !== 0) unsupported('file size is not a whole number of pages');
    this.pages = bytes.length / pageSize;
    // The header's page count is used by SQLite when it is valid (version-valid-for = change counter).
    const inHeader = this.view.getUint32(28);
    if (inHeader !== 0 && this.view.getUint32(92) === this.view.getUint32(24) && inHeader !== this.pages) unsupported('page count in header differs from the file size');
    this.seen = new Uint8Array(this.pages + 1);
  }

  /** The rows of sqlite_schema (type, name, tbl_name, rootpage, sql), in rowid order. */
  schema(): SchemaRow[] {
    const out: SchemaRow[] = [];
    this.scan(1, (rowid) => {
      if (this.ncols < 5) unsupported(`sqlite_schema row ${rowid} has ${this.ncols} columns`);
      const type = this.value(0);
      const name = this.value(1);
      const tbl = this.value(2);
      const root = this.value(3);
      const sql = this.value(4);
      if (typeof type !== 'string' || typeof name !== 'string' || typeof tbl !== 'string' || (sql !== null && typeof sql !== 'string')) unsupported('sqlite_schema value types');
      out.push({ type: type as string, name: name as string, tblName: tbl as string, rootpage: typeof root === 'number' ? root : 0, sql: sql as string | null });
    });
    return out;
  }

  /**
   * Visit every row of the rowid table rooted at `root`, in rowid order: `row(rowid)` is called
   * with the row's record current (ncols, value(i)). One callback per scan, none per row.
   */
  scan(root: number, row: (rowid: number) => void): void {
    this.seen.fill(0);
    // Depth-first, left to right, with an explicit stack of (page, next cell index).
    const stackPage: number[] = [];
    const stackCell: number[] = [];
    let lastRowid = -Infinity;
    this.enter(root, stackPage, stackCell);
    while (stackPage.length > 0) {
      const depth = stackPage.length - 1;
      const pg = stackPage[depth]!;
      const base = (pg - 1) * this.pageSize;
      const hdr = base + (pg === 1 ? 100 : 0);
      const type = this.bytes[hdr]!;
      const ncells = this.view.getUint16(hdr + 3);
      if (type === 0x0d) {
        const ptrs = hdr + 8;
        if (ptrs + 2 * ncells > base + this.usable) unsupported(`page ${pg}: cell pointer array past the page`);
        for (let c = 0; c < ncells; c++) {
          const cell = base + this.view.getUint16(ptrs + 2 * c);
          if (cell < ptrs + 2 * ncells) unsupported(`page ${pg}: cell ${c} inside the page header`);
          const rowid = this.leafCell(pg, base, cell);
          if (rowid <= lastRowid) unsupported(`page ${pg}: rowids out of order`);
          lastRowid = rowid;
          row(rowid);
        }
        stackPage.pop();
        stackCell.pop();
        continue;
      }
      // Interior table page (checked by enter): cells 0..n-1 then the right-most pointer.
      const c = stackCell[depth]!;
      stackCell[depth] = c + 1;
      let child: number;
      if (c < ncells) {
        const ptr = this.view.getUint16(hdr + 12 + 2 * c);
        if (ptr < hdr + 12 + 2 * ncells - base || ptr + 4 > this.usable) unsupported(`page ${pg}: cell ${c} outside the page`);
        child = this.view.getUint32(base + ptr);
      } else if (c === ncells) {
        child = this.view.getUint32(hdr + 8);
      } else {
        stackPage.pop();
        stackCell.pop();
        continue;
      }
      if (stackPage.length >= 64) unsupported('b-tree deeper than 64 levels');
      this.enter(child, stackPage, stackCell);
    }
  }

  private enter(pg: number, stackPage: number[], stackCell: number[]): void {
    if (!Number.isInteger(pg) || pg < 1 || pg > this.pages) unsupported(`page number ${pg} outside the file`);
    if (this.seen[pg]) unsupported(`page ${pg} reached twice`);
    this.seen[pg] = 1;
    const base = (pg - 1) * this.pageSize;
    const hdr = base + (pg === 1 ? 100 : 0);
    const type = this.bytes[hdr]!;
    if (type !== 0x0d && type !== 0x05) unsupported(`page ${pg}: page type 0x${type.toString(16)} is not a table b-tree page`);
    if (hdr + (type === 0x05 ? 12 : 8) + 2 * this.view.getUint16(hdr + 3) > base + this.usable) unsupported(`page ${pg}: cell pointer array past the page`);
    stackPage.push(pg);
    stackCell.push(0);
  }

  /** Decode the leaf cell at absolute offset `cell` of page `pg`: make its record current; returns the rowid. */
  private leafCell(pg: number, base: number, cell: number): number {
    const b = this.bytes;
    const end = base + this.usable;
    if (cell < base + 8 || cell >= end) unsupported(`page ${pg}: cell outside the page`);
    // Payload size and rowid varints.
    const size = this.varint(b, cell, end, 4, pg, 'payload size varint');
    let p = this.vp;
    let rowid = 0;
    let i = 0;
    for (; ; i++) {
      if (p >= end) unsupported(`page ${pg}: rowid varint past the page`);
      const x = b[p++]!;
      if (i === 8) { rowid = rowid * 256 + x; break; }
      rowid = rowid * 128 + (x & 0x7f);
      if (x < 0x80) break;
    }
    // A rowid of 8 or 9 varint bytes is beyond 2^49 or negative: left to SQLite.
    if (i >= 7) unsupported(`page ${pg}: rowid beyond 2^49`);
    const U = this.usable;
    const X = U - 35;
    let local = size;
    if (size > X) {
      const M = Math.floor(((U - 12) * 32) / 255) - 23;
      const K = M + ((size - M) % (U - 4));
      local = K <= X ? K : M;
    }
    if (p + local > end) unsupported(`page ${pg}: cell payload past the page`);
    if (local === size) {
      this.record(b, p, p + size, pg);
      return rowid;
    }
    // Overflow: the first 4 bytes after the local part name the first overflow page.
    if (p + local + 4 > end) unsupported(`page ${pg}: overflow pointer past the page`);
    if (this.spill.length < size) this.spill = new Uint8Array(Math.max(size, this.spill.length * 2));
    const s = this.spill;
    s.set(b.subarray(p, p + local), 0);
    let got = local;
    let next = this.view.getUint32(p + local);
    const per = U - 4;
    while (got < size) {
      if (next < 1 || next > this.pages || this.seen[next]) unsupported(`page ${pg}: overflow page ${next}`);
      this.seen[next] = 1;
      const ob = (next - 1) * this.pageSize;
      const n = Math.min(per, size - got);
      s.set(b.subarray(ob + 4, ob + 4 + n), got);
      got += n;
      next = this.view.getUint32(ob);
    }
    this.record(s, 0, size, pg);
    return rowid;
  }

  /** Where the last `varint` ended. */
  private vp = 0;

  /**
   * A varint of at most `max` bytes (each 7 bits, high bit: more follow) at b[p], before `end`;
   * its end goes to `vp`. A longer one, or one past `end`, is left to SQLite.
   */
  private varint(b: Uint8Array, p: number, end: number, max: number, pg: number, what: string): number {
    let v = 0;
    for (let i = 0; ; i++) {
      if (p >= end || i >= max) unsupported(`page ${pg}: ${what}`);
      const x = b[p++]!;
      v = v * 128 + (x & 0x7f);
      if (x < 0x80) break;
    }
    this.vp = p;
    return v;
  }

  /** Parse a record header: serial types and offsets of its columns. */
  private record(b: Uint8Array, start: number, end: number, pg: number): void {
    const hsize = this.varint(b, start, end, 4, pg, 'record header size');
    let p = this.vp;
    const hend = start + hsize;
    if (hend > end || hsize < 1) unsupported(`page ${pg}: record header past the payload`);
    let off = hend;
    let n = 0;
    while (p < hend) {
      // A serial type below 128 (every one but text or blobs of 58 bytes or more) is one byte.
      let t = b[p]!;
      if (t < 0x80) p++;
      else { t = this.varint(b, p, hend, 5, pg, 'serial type varint'); p = this.vp; }
      if (n === this.types.length) {
        const nt = new Float64Array(n * 2);
        nt.set(this.types);
        this.types = nt;
        const no = new Int32Array(n * 2);
        no.set(this.offs);
        this.offs = no;
      }
      this.types[n] = t;
      this.offs[n] = off;
      off += t < 12 ? FIXED_SIZE[t]! : Math.floor((t - 12) / 2);
      if (t === 10 || t === 11) unsupported(`page ${pg}: reserved serial type ${t}`);
      n++;
    }
    if (off > end) unsupported(`page ${pg}: record body past the payload`);
    if (b !== this.rec) {
      this.recView = b === this.bytes ? this.view : new DataView(b.buffer, b.byteOffset, b.byteLength);
      this.recBuffer = Buffer.isBuffer(b);
    }
    this.rec = b;
    this.ncols = n;
  }

  /**
   * Serial type of column i of the current record (0, NULL, past its last column); with `offset`
   * and `recordBytes`, its stored bytes: for a caller that compares a value with the one before it
   * without decoding it (a repeated status, timestamp or name), and calls value() on a change.
   */
  serialType(i: number): number {
    return i < this.ncols ? this.types[i]! : 0;
  }

  /** Where column i's bytes start in `recordBytes` (of a column in the record). */
  offset(i: number): number {
    return this.offs[i]!;
  }

  /** The bytes of the current record (the file's, or a payload assembled from overflow pages). */
  get recordBytes(): Uint8Array {
    return this.rec;
  }

  /** Column i of the current record (NULL past its last column: a column added later without a default). */
  value(i: number): SqlValue {
    if (i >= this.ncols) return null;
    const t = this.types[i]!;
    const o = this.offs[i]!;
    const b = this.rec;
    switch (t) {
      case 0: return null;
      case 1: return (b[o]! << 24) >> 24;
      case 2: return ((b[o]! << 24) >> 16) | b[o + 1]!;
      case 3: return ((b[o]! << 24) >> 8) | (b[o + 1]! << 8) | b[o + 2]!;
      case 4: return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
      case 5: return (((b[o]! << 24) >> 16) | b[o + 1]!) * TWO32 + (((b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!) >>> 0);
      case 6: {
        const hi = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
        const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
        if (hi >= -0x200000 && hi < 0x200000) return hi * TWO32 + lo;
        return this.recView.getBigInt64(o);
      }
      case 7: {
        const v = new DataView(b.buffer, b.byteOffset + o, 8).getFloat64(0);
        return Number.isNaN(v) ? null : v; // SQLite reads a stored NaN as NULL
      }
      case 8: return 0;
      case 9: return 1;
      default: break;
    }
    const len = t >= 12 ? Math.floor((t - 12) / 2) : 0;
    if (t % 2 === 0) return new Uint8Array(b.subarray(o, o + len)); // a plain Uint8Array (not a Buffer), as sql.js returns
    // Text: sql.js returns all sqlite3_column_bytes of it (NUL bytes included). Only ASCII is
    // decoded here; other bytes are left to SQLite (and emscripten's decoder).
    const k = o + len;
    for (let j = o; j < k; j++) if (b[j]! >= 0x80) unsupported('non-ASCII text');
    if (this.recBuffer) return (b as Buffer).toString('latin1', o, k);
    return len <= 64 ? String.fromCharCode.apply(null, b.subarray(o, k) as unknown as number[]) : ASCII.decode(b.subarray(o, k));
  }
}

/** Bytes of a value of serial types 0-11 (10 and 11 are reserved: refused while reading the record). */
const FIXED_SIZE = new Uint8Array([0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0]);

/** Bytes of a value of serial type t (of a record read: not 10 or 11). */
export function serialSize(t: number): number {
  return t < 12 ? FIXED_SIZE[t]! : Math.floor((t - 12) / 2);
}

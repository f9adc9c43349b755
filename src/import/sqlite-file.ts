// A read-only reader of the SQLite database file format (https://www.sqlite.org/fileformat2.html),
// for the one thing the rasdaemon importer needs fast: every row of a few rowid tables, in rowid
// order. It reads the header, sqlite_schema (the table b-tree rooted at page 1), table b-tree
// interior (0x05) and leaf (0x0D) pages, record headers (varints, serial types) and overflow
// chains, bounds-checked at every step. Anything it does not handle, or any inconsistency, throws
// SqliteUnsupported and the caller reads the file with sql.js instead, so that SQLite itself
// decides what a damaged or unusual file means (docs/import.md §rasdaemon "Reading the file").

import { readSync } from 'node:fs';

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
  readonly pageSize: number;
  /** Usable bytes of a page (page size less the reserved bytes at its end). */
  readonly usable: number;
  readonly pages: number;
  /** The whole file (read from bytes), or null (read from `fd` a few pages at a time). */
  private readonly bytes: Uint8Array | null;
  private readonly view: DataView | null;
  private readonly fd: number;
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
  // Pages read from fd: pages [chunkFirst, chunkFirst + chunkPages) are in `chunk` (read ahead
  // further while the reads go forward); an interior page is copied to its depth's buffer (its
  // children are read while it is on the stack), an overflow page outside the chunk to `over`.
  private chunk: Buffer = Buffer.alloc(0);
  private chunkView: DataView = new DataView(new ArrayBuffer(0));
  private chunkFirst = 0;
  private chunkPages = 0;
  private ahead = 1;
  private readonly depthBufs: Buffer[] = [];
  private over: Buffer = Buffer.alloc(0);
  /** Where load() put the page: buffer, its view, and the page's offset in it. */
  private pb: Uint8Array = new Uint8Array(0);
  private pv: DataView = new DataView(new ArrayBuffer(0));

  /**
   * The database in `source`: the whole file, or an open file (descriptor and size; pages are read
   * as the scans reach them, so that memory does not grow with the file; the caller closes it).
   */
  constructor(source: Uint8Array | { fd: number; size: number }) {
    let head: Uint8Array;
    let size: number;
    if (source instanceof Uint8Array) {
      this.bytes = source;
      this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
      this.fd = -1;
      head = source;
      size = source.length;
    } else {
      this.bytes = null;
      this.view = null;
      this.fd = source.fd;
      size = source.size;
      head = Buffer.alloc(Math.min(100, size));
      readFully(this.fd, head as Buffer, 0, head.length, 0);
    }
    this.rec = head;
    this.recView = new DataView(head.buffer, head.byteOffset, head.byteLength);
    this.recBuffer = Buffer.isBuffer(head);
    if (size < 512) unsupported('shorter than one page');
    const hv = this.recView;
    const ps = hv.getUint16(16);
    const pageSize = ps === 1 ? 65536 : ps;
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) unsupported(`page size ${ps}`);
    // File format write/read versions: 1 legacy (rollback journal), 2 WAL. A WAL-mode file is read
    // by SQLite (its -wal file, if any, is not read by either path: sql.js opens the bytes alone).
    if (head[18] !== 1 || head[19] !== 1) unsupported('not a rollback-journal database');
    if (head[21] !== 64 || head[22] !== 32 || head[23] !== 32) unsupported('payload fractions');
    if (hv.getUint32(56) !== 1) unsupported('text encoding is not UTF-8');
    const reserved = head[20]!;
    this.pageSize = pageSize;
    this.usable = pageSize - reserved;
    if (this.usable < 480) unsupported('usable page size below 480');
    if (size % pageSize !== 0) unsupported('file size is not a whole number of pages');
    this.pages = size / pageSize;
    // The header's page count is used by SQLite when it is valid (version-valid-for = change counter).
    const inHeader = hv.getUint32(28);
    if (inHeader !== 0 && hv.getUint32(92) === hv.getUint32(24) && inHeader !== this.pages) unsupported('page count in header differs from the file size');
    this.seen = new Uint8Array(this.pages + 1);
  }

  /** Make page pg readable: its buffer and view in pb/pv; returns the page's offset in pb. */
  private load(pg: number): number {
    if (this.bytes) {
      this.pb = this.bytes;
      this.pv = this.view!;
      return (pg - 1) * this.pageSize;
    }
    const ps = this.pageSize;
    if (pg < this.chunkFirst || pg >= this.chunkFirst + this.chunkPages) {
      // Forward and near the last chunk: read further ahead (a table's leaves are mostly in file order).
      const end = this.chunkFirst + this.chunkPages;
      this.ahead = pg >= end && pg < end + this.chunkPages ? Math.min(this.ahead * 2, Math.max(1, CHUNK_BYTES / ps)) : 1;
      const n = Math.min(this.ahead, this.pages - pg + 1);
      if (this.chunk.length < n * ps) {
        this.chunk = Buffer.allocUnsafe(Math.max(n * ps, Math.min(CHUNK_BYTES, this.chunk.length * 2)));
        this.chunkView = new DataView(this.chunk.buffer, this.chunk.byteOffset, this.chunk.byteLength);
      }
      readFully(this.fd, this.chunk, 0, n * ps, (pg - 1) * ps);
      this.chunkFirst = pg;
      this.chunkPages = n;
    }
    this.pb = this.chunk;
    this.pv = this.chunkView;
    return (pg - this.chunkFirst) * ps;
  }

  /** An overflow page's bytes, without replacing the chunk (its leaf is being read): pb/pv and the offset. */
  private loadOverflow(pg: number): number {
    if (this.bytes || (pg >= this.chunkFirst && pg < this.chunkFirst + this.chunkPages)) return this.load(pg);
    if (this.over.length < this.pageSize) this.over = Buffer.allocUnsafe(this.pageSize);
    readFully(this.fd, this.over, 0, this.pageSize, (pg - 1) * this.pageSize);
    this.pb = this.over;
    this.pv = new DataView(this.over.buffer, this.over.byteOffset, this.pageSize);
    return 0;
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
    this.walk(root, row, false);
  }

  /** The rows of the rowid table rooted at `root` (the cell counts of its leaves; the tree checked as scan checks it). */
  rows(root: number): number {
    return this.walk(root, () => undefined, true);
  }

  /** scan, or (`count`) only the rows counted; returns the rows visited. */
  private walk(root: number, row: (rowid: number) => void, count: boolean): number {
    let rows = 0;
    this.seen.fill(0);
    // Depth-first, left to right, with an explicit stack of (page, next cell index) and where
    // each page's bytes are (buffer, view, offset).
    const stackPage: number[] = [];
    const stackCell: number[] = [];
    const bufs: Uint8Array[] = [];
    const views: DataView[] = [];
    const bases: number[] = [];
    let lastRowid = -Infinity;
    this.enter(root, stackPage, stackCell, bufs, views, bases);
    while (stackPage.length > 0) {
      const depth = stackPage.length - 1;
      const pg = stackPage[depth]!;
      const b = bufs[depth]!;
      const dv = views[depth]!;
      const base = bases[depth]!;
      const hdr = base + (pg === 1 ? 100 : 0);
      const type = b[hdr]!;
      const ncells = dv.getUint16(hdr + 3);
      if (type === 0x0d) {
        const ptrs = hdr + 8;
        if (ptrs + 2 * ncells > base + this.usable) unsupported(`page ${pg}: cell pointer array past the page`);
        rows += ncells;
        for (let c = 0; c < ncells && !count; c++) {
          const cell = base + dv.getUint16(ptrs + 2 * c);
          if (cell < ptrs + 2 * ncells) unsupported(`page ${pg}: cell ${c} inside the page header`);
          const rowid = this.leafCell(pg, b, dv, base, cell);
          if (rowid <= lastRowid) unsupported(`page ${pg}: rowids out of order`);
          lastRowid = rowid;
          row(rowid);
        }
        stackPage.pop();
        stackCell.pop();
        bufs.pop();
        views.pop();
        bases.pop();
        continue;
      }
      // Interior table page (checked by enter): cells 0..n-1 then the right-most pointer.
      const c = stackCell[depth]!;
      stackCell[depth] = c + 1;
      let child: number;
      if (c < ncells) {
        const ptr = dv.getUint16(hdr + 12 + 2 * c);
        if (ptr < hdr + 12 + 2 * ncells - base || ptr + 4 > this.usable) unsupported(`page ${pg}: cell ${c} outside the page`);
        child = dv.getUint32(base + ptr);
      } else if (c === ncells) {
        child = dv.getUint32(hdr + 8);
      } else {
        stackPage.pop();
        stackCell.pop();
        bufs.pop();
        views.pop();
        bases.pop();
        continue;
      }
      if (stackPage.length >= 64) unsupported('b-tree deeper than 64 levels');
      this.enter(child, stackPage, stackCell, bufs, views, bases);
    }
    return rows;
  }

  private enter(pg: number, stackPage: number[], stackCell: number[], bufs: Uint8Array[], views: DataView[], bases: number[]): void {
    if (!Number.isInteger(pg) || pg < 1 || pg > this.pages) unsupported(`page number ${pg} outside the file`);
    if (this.seen[pg]) unsupported(`page ${pg} reached twice`);
    this.seen[pg] = 1;
    let base = this.load(pg);
    let b = this.pb;
    let dv = this.pv;
    const hdr = base + (pg === 1 ? 100 : 0);
    const type = b[hdr]!;
    if (type !== 0x0d && type !== 0x05) unsupported(`page ${pg}: page type 0x${type.toString(16)} is not a table b-tree page`);
    if (hdr + (type === 0x05 ? 12 : 8) + 2 * dv.getUint16(hdr + 3) > base + this.usable) unsupported(`page ${pg}: cell pointer array past the page`);
    if (type === 0x05 && !this.bytes) {
      // Read from the file: the interior page stays while its children replace the chunk.
      const d = stackPage.length;
      let own = this.depthBufs[d];
      if (!own || own.length < this.pageSize) own = this.depthBufs[d] = Buffer.allocUnsafe(this.pageSize);
      (b as Buffer).copy(own, 0, base, base + this.pageSize);
      b = own;
      dv = new DataView(own.buffer, own.byteOffset, this.pageSize);
      base = 0;
    }
    stackPage.push(pg);
    stackCell.push(0);
    bufs.push(b);
    views.push(dv);
    bases.push(base);
  }

  /** Decode the leaf cell at absolute offset `cell` of page `pg`: make its record current; returns the rowid. */
  private leafCell(pg: number, b: Uint8Array, dv: DataView, base: number, cell: number): number {
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
    let next = dv.getUint32(p + local);
    const per = U - 4;
    while (got < size) {
      if (next < 1 || next > this.pages || this.seen[next]) unsupported(`page ${pg}: overflow page ${next}`);
      this.seen[next] = 1;
      const ob = this.loadOverflow(next);
      const n = Math.min(per, size - got);
      s.set(this.pb.subarray(ob + 4, ob + 4 + n), got);
      got += n;
      next = this.pv.getUint32(ob);
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
    // The rows of a table mostly store the same serial types: a header equal byte for byte to
    // the last one parsed has its types and offsets (kept relative to the record's start).
    let same = hsize === this.headerLen;
    const last = this.header;
    for (let j = 0; same && j < hsize; j++) if (b[start + j] !== last[j]) same = false;
    if (!same) {
      this.headerLen = 0;
      let off = hsize;
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
      this.ncols = n;
      this.bodyEnd = off;
      if (hsize <= last.length) {
        for (let j = 0; j < hsize; j++) last[j] = b[start + j]!;
        this.headerLen = hsize;
      }
    }
    if (start + this.bodyEnd > end) unsupported(`page ${pg}: record body past the payload`);
    if (b !== this.rec) {
      this.recView = b === this.bytes ? this.view! : b === this.chunk ? this.chunkView : new DataView(b.buffer, b.byteOffset, b.byteLength);
      this.recBuffer = Buffer.isBuffer(b);
    }
    this.rec = b;
    this.recStart = start;
  }

  /** The last record header parsed (its first headerLen bytes; 0: none kept), where the current record starts and its body ends (relative). */
  private readonly header = new Uint8Array(256);
  private headerLen = 0;
  private recStart = 0;
  private bodyEnd = 0;

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
    return this.recStart + this.offs[i]!;
  }

  /** The bytes of the current record (the file's, or a payload assembled from overflow pages). */
  get recordBytes(): Uint8Array {
    return this.rec;
  }

  /** Column i of the current record (NULL past its last column: a column added later without a default). */
  value(i: number): SqlValue {
    if (i >= this.ncols) return null;
    const t = this.types[i]!;
    const o = this.recStart + this.offs[i]!;
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

/** Pages read from a file at once at most (read-ahead of a forward scan). */
const CHUNK_BYTES = 1 << 20;

/** Read exactly `n` bytes at file offset `at` into buf[off...]; a short read is a file shorter than its header says. */
function readFully(fd: number, buf: Buffer, off: number, n: number, at: number): void {
  let got = 0;
  while (got < n) {
    const k = readSync(fd, buf, off + got, n - got, at + got);
    if (k === 0) unsupported(`file ends at byte ${at + got}, inside a page`);
    got += k;
  }
}

/** Bytes of a value of serial types 0-11 (10 and 11 are reserved: refused while reading the record). */
const FIXED_SIZE = new Uint8Array([0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0]);

/** Bytes of a value of serial type t (of a record read: not 10 or 11). */
export function serialSize(t: number): number {
  return t < 12 ? FIXED_SIZE[t]! : Math.floor((t - 12) / 2);
}

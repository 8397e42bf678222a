/** Bytes [start, end) of a CSV holding `rows` whole records, the first of them row `firstRow`. */
export interface RecordSpan {
  index: number;
  start: number;
  end: number;
  firstRow: number;
  rows: number;
}

const quote = 0x22;
const newline = 0x0a;
const isBlank = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0d;

/**
 * Cuts a CSV byte stream into spans of `rowsPerSpan` records without parsing them: a record ends at
 * a newline outside quotes (a doubled quote inside a quoted field toggles twice, so it needs no
 * special case). Blank lines are no records, as the dataset check skips them too; the first record
 * is the header and belongs to no span. Each span can then be parsed on its own, by any worker,
 * with row numbers that match the whole file's.
 */
export class RecordSpans {
  /** Bytes [0, headerEnd) hold the header once it has been seen. */
  headerEnd = -1;
  private offset = 0;
  private inQuotes = false;
  private recordHasContent = false;
  private spanStart = 0;
  private spanRows = 0;
  private rowsBefore = 0;
  private index = 0;

  constructor(private readonly rowsPerSpan: number) {}

  /** Rows seen so far, in closed spans and the open one. */
  get rows(): number {
    return this.rowsBefore + this.spanRows;
  }

  /** The spans closed by this piece of the stream. */
  push(piece: Uint8Array): RecordSpan[] {
    const closed: RecordSpan[] = [];
    for (let i = 0; i < piece.length; i++) {
      const byte = piece[i]!;
      if (byte === quote) {
        this.inQuotes = !this.inQuotes;
        this.recordHasContent = true;
      } else if (byte === newline && !this.inQuotes) {
        const span = this.endRecord(this.offset + i + 1);
        if (span) closed.push(span);
      } else if (!isBlank(byte)) {
        this.recordHasContent = true;
      }
    }
    this.offset += piece.length;
    return closed;
  }

  /** The last span, once the stream has ended (a last record need not end with a newline). */
  end(): RecordSpan[] {
    const last = this.endRecord(this.offset);
    if (last) return [last];
    return this.spanRows ? [this.close(this.offset)] : [];
  }

  private endRecord(end: number): RecordSpan | null {
    if (!this.recordHasContent) return null;
    this.recordHasContent = false;
    if (this.headerEnd < 0) {
      this.headerEnd = this.spanStart = end;
      return null;
    }
    return ++this.spanRows === this.rowsPerSpan ? this.close(end) : null;
  }

  private close(end: number): RecordSpan {
    const span = { index: this.index++, start: this.spanStart, end, firstRow: this.rowsBefore + 1, rows: this.spanRows };
    this.rowsBefore += this.spanRows;
    this.spanRows = 0;
    this.spanStart = end;
    return span;
  }
}

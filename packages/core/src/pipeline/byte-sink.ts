/**
 * A growable byte buffer that strings are written into as UTF-8 directly, without building the
 * intermediate JavaScript strings (and the string → bytes conversion) that joining text would
 * cost for every value of every row.
 */
export class ByteSink {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** One byte (room already reserved). */
  byte(b: number): void {
    this.bytes[this.length++] = b;
  }

  /** A string known to be ASCII (tags, digits, fixed words). */
  ascii(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.bytes[this.length++] = s.charCodeAt(i);
  }

  /**
   * `s` as UTF-8 when it holds neither a surrogate nor a code unit below 128 marked in `special`
   * (see {@link specialUnits}); returns false, having written nothing, otherwise.
   */
  plain(s: string, special: Uint8Array): boolean {
    const n = s.length;
    this.reserve(3 * n);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (special[c] === 1) return false;
        bytes[at++] = c;
      } else if (c < 0x800) {
        bytes[at++] = 0xc0 | (c >> 6);
        bytes[at++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        return false;
      } else {
        bytes[at++] = 0xe0 | (c >> 12);
        bytes[at++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[at++] = 0x80 | (c & 0x3f);
      }
    }
    this.length = at;
    return true;
  }

  /** Any string, as UTF-8 (lone surrogates become U+FFFD, as Buffer.from(s, "utf8") writes them). */
  utf8(s: string): void {
    if (this.plain(s, NONE)) return;
    const encoded = ENCODER.encode(s);
    this.reserve(encoded.length);
    this.bytes.set(encoded, this.length);
    this.length += encoded.length;
  }

  /** The bytes written so far, handed over: the sink starts again on a fresh buffer. */
  take(): Uint8Array {
    const out = this.bytes.subarray(0, this.length);
    this.bytes = new Uint8Array(this.bytes.length);
    this.length = 0;
    return out;
  }
}

const ENCODER = new TextEncoder();

/** A table of the ASCII code units for which `isSpecial` holds, for {@link ByteSink.plain}. */
export function specialUnits(isSpecial: (unit: number) => boolean): Uint8Array {
  return Uint8Array.from({ length: 128 }, (_, c) => (isSpecial(c) ? 1 : 0));
}

const NONE = specialUnits(() => false);

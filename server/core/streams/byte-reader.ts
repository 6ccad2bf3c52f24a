/**
 * Exact-length reads over a stream of byte pieces of any size (a file read stream, a decrypted
 * bundle). `short()` makes the error thrown when the input ends inside a requested length.
 */
export class ByteReader {
  private readonly source: AsyncIterator<Uint8Array>;
  private pending: Uint8Array = new Uint8Array(0);

  constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly short: () => Error,
  ) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** Exactly `n` bytes; null when the input ended cleanly before the first of them. */
  async read(n: number): Promise<Uint8Array | null> {
    const parts: Uint8Array[] = [];
    let got = 0;
    for await (const piece of this.pieces(n, true)) {
      parts.push(piece);
      got += piece.byteLength;
    }
    if (got === 0 && n > 0) return null;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }

  /** The next `n` bytes as they arrive, without gathering them. */
  async *pieces(n: number, allowCleanEnd = false): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (this.pending.byteLength === 0) {
        const next = await this.source.next();
        if (next.done) {
          if (allowCleanEnd && left === n) return;
          throw this.short();
        }
        this.pending = next.value;
        continue;
      }
      const piece = this.pending.subarray(0, Math.min(left, this.pending.byteLength));
      this.pending = this.pending.subarray(piece.byteLength);
      left -= piece.byteLength;
      yield piece;
    }
  }
}

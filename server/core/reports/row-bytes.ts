/** A standalone copy of a byte column (pg returns pooled Buffers; PGlite returns views). */
export const bytes = (value: Uint8Array): Uint8Array => new Uint8Array(value);

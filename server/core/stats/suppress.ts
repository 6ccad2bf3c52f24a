/**
 * Small-cell suppression. A count from 1 to min − 1 is never shown, charted or exported: a small
 * outlet or a rare category on a given day could point to a reporter. Zero is shown (it points to
 * no one). A median is shown only when it rests on at least `min` tips, a percentage only when neither its
 * part nor the rest is a small cell.
 */
export type Cell = {
  /** The figure, or null when suppressed or not available. Charts plot null as a gap. */
  readonly value: number | null;
  /** What tables and exports show. */
  readonly text: string;
  readonly suppressed: boolean;
};

export function countCell(n: number, min: number): Cell {
  if (n > 0 && n < min) return { value: null, text: `<${min}`, suppressed: true };
  return { value: n, text: String(n), suppressed: false };
}

/** A duration in hours, one decimal, from `seconds`, measured over `basis` tips. */
export function hoursCell(seconds: number | null, basis: number, min: number): Cell {
  if (basis > 0 && basis < min) return { value: null, text: `<${min}`, suppressed: true };
  if (seconds === null || basis === 0) return { value: null, text: '—', suppressed: false };
  const hours = Math.round((seconds / 3600) * 10) / 10;
  return { value: hours, text: hours.toFixed(1), suppressed: false };
}

/** A share; suppressed also when the part or the rest is a small cell, which whole × share would reveal. */
export function percentCell(part: number, whole: number, min: number): Cell {
  const small = (n: number) => n > 0 && n < min;
  if (small(whole) || small(part) || small(whole - part)) return { value: null, text: `<${min}`, suppressed: true };
  if (whole === 0) return { value: null, text: '—', suppressed: false };
  const pct = Math.round((part / whole) * 1000) / 10;
  return { value: pct, text: `${pct.toFixed(1)}%`, suppressed: false };
}

export function plainCell(value: number, digits = 0): Cell {
  return { value, text: value.toFixed(digits), suppressed: false };
}

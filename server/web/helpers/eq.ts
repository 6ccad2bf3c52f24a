/** {{#if (eq a b)}} — strict equality. */
export default function eq(a: unknown, b: unknown): boolean {
  return a === b;
}

/** {{#if (includes list value)}} — membership, e.g. for re-checking checkboxes after a failed submit. */
export default function includes(list: unknown, value: unknown): boolean {
  return Array.isArray(list) && list.includes(value);
}

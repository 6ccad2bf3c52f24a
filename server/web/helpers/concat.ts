/** {{concat "a." b ".c"}} — joins its arguments; used to build i18n keys. */
export default function concat(...args: unknown[]): string {
  return args.slice(0, -1).map(String).join('');
}

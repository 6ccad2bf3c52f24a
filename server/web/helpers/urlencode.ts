/** {{urlencode value}} — percent-encodes a value for use inside a query string. */
export default function urlencode(value: unknown): string {
  return encodeURIComponent(String(value ?? ''));
}

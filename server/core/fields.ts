/**
 * A submitted form as lists of strings per field name, whichever encoding it came in
 * (urlencoded, or multipart read by server/web/multipart.ts). Form schemas read from this shape.
 */
export type FieldMap = Record<string, string[]>;

/** The same shape from an urlencoded body (already parsed by Express): every value a list of strings. */
export function fieldsFromBody(body: unknown): FieldMap {
  const fields: FieldMap = Object.create(null) as FieldMap;
  if (!body || typeof body !== 'object') return fields;
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    const list = Array.isArray(value) ? value : [value];
    fields[name] = list.filter((v): v is string => typeof v === 'string');
  }
  return fields;
}

/** First value of a field, or '' (scalars sent twice keep the first, rather than failing). */
export function first(fields: FieldMap, name: string): string {
  return fields[name]?.[0] ?? '';
}

export function all(fields: FieldMap, name: string): string[] {
  return fields[name] ?? [];
}

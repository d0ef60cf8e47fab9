/**
 * PostgreSQL text and jsonb cannot hold U+0000, which a proto3 string may
 * (and the gateway accepts it in ids, instance ids and request ids). Sent
 * as is, one such value fails the whole statement, and with it every stream
 * whose batches share the commit, on every retry. Values that are only
 * shown or grouped by (names, reasons, request ids, the sender's JSON) get
 * U+FFFD in its place; the event's bytes, kept alongside, stay exact. An
 * event id, the dedup key, is never altered (see insert-group.ts).
 */
export function pgText(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}

/** JSON.stringify for a jsonb column, with pgText applied to every string in `value`. */
export function pgJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? pgText(v) : v));
}

/** Whether JSON text (as JSON.stringify writes it) in bytes [start, end) holds an escaped U+0000, which jsonb refuses. */
export function jsonBytesHoldNul(bytes: Buffer, start: number, end: number): boolean {
  return bytes.subarray(start, end).includes('\\u0000', 0, 'latin1');
}

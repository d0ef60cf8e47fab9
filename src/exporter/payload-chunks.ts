/** The deployed exporter's payload limit (BEHAVIOR.md 5.3). */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Bytes a length-delimited field of `length` bytes takes on the wire with a one-byte tag. */
function framedLength(length: number): number {
  let varint = 1;
  for (let n = length; n >= 0x80; n = Math.floor(n / 0x80)) varint++;
  return 1 + varint + length;
}

/**
 * Splits events, in order, into payloads whose encoded RecordEventsRequest
 * (the events field, each event framed inside it) stays within `maxBytes`.
 * An event too large for any payload goes alone: the gateway decides about it.
 */
export function chunkPayloads<T extends { bytes: Uint8Array }>(events: readonly T[], maxBytes = MAX_PAYLOAD_BYTES): T[][] {
  const payloads: T[][] = [];
  let current: T[] = [];
  let inner = 0;
  for (const event of events) {
    const size = framedLength(event.bytes.length);
    if (current.length > 0 && framedLength(inner + size) > maxBytes) {
      payloads.push(current);
      current = [];
      inner = 0;
    }
    current.push(event);
    inner += size;
  }
  if (current.length > 0) payloads.push(current);
  return payloads;
}

/**
 * Why a call to the gateway failed, as gRPC says it (the transport translates
 * grpc-js errors into this once, at the edge). Messages never carry the
 * license key or the service token.
 */
export type ExportErrorCode =
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

/** gRPC status numbers, in order. */
const EXPORT_ERROR_CODES: readonly ExportErrorCode[] = [
  'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE',
  'DATA_LOSS', 'UNAUTHENTICATED',
];

/** Refusals that retrying will not fix until someone changes the configuration (identity, token, address). */
const PERMANENT = new Set<ExportErrorCode>(['INVALID_ARGUMENT', 'PERMISSION_DENIED', 'UNAUTHENTICATED', 'UNIMPLEMENTED', 'NOT_FOUND']);

/** A failed export call. `permanent`: retried only after a long back-off, and logged at error. */
export class ExportError extends Error {
  override readonly name = 'ExportError';
  readonly permanent: boolean;
  /** The gateway refused the payload itself (too large, malformed): one of its events may be poison. */
  readonly payloadRefused: boolean;

  constructor(
    readonly code: ExportErrorCode,
    message: string,
  ) {
    super(message);
    this.payloadRefused = isPayloadRefusal(code, message);
    this.permanent = PERMANENT.has(code) && !this.payloadRefused;
  }
}

/** The code for a gRPC status number (UNKNOWN for anything outside 1..16). */
export function exportErrorCode(status: number): ExportErrorCode {
  return EXPORT_ERROR_CODES[status - 1] ?? 'UNKNOWN';
}

/** Anything thrown by a transport, as an ExportError (foreign errors become UNKNOWN). */
export function toExportError(error: unknown): ExportError {
  if (error instanceof ExportError) return error;
  return new ExportError('UNKNOWN', error instanceof Error ? error.message : String(error));
}

/**
 * Over-size messages (grpc-js on either side: "Received/Sent message larger
 * than max") and payloads the gateway could not decode ("malformed request")
 * are about what was sent, not about the gateway's state. RESOURCE_EXHAUSTED
 * for "too many concurrent streams" is not: it is transient.
 */
function isPayloadRefusal(code: ExportErrorCode, message: string): boolean {
  if (code === 'RESOURCE_EXHAUSTED') return /larger than max|too large/i.test(message);
  if (code === 'INVALID_ARGUMENT' || code === 'INTERNAL') return /malformed request|failed to parse|could not parse/i.test(message);
  return false;
}

/**
 * The exporter's view of a gateway: one connection, made fresh for each export
 * run. The gRPC adapter implements it; tests may wrap it to inject faults.
 * Every method rejects with an ExportError (export-error.ts).
 */
export interface GatewayTransport {
  /**
   * Resolves once the connection is up; rejects when it cannot be made within
   * the deadline or is refused. Optional: without it the first call connects.
   */
  ready?(): Promise<void>;
  /**
   * One RecordEvents stream: the identity metadata, then each payload (the
   * events' encoded bytes), then half-close. `onAcknowledged` gets each
   * response's ids as it arrives, while sending continues. Resolves when the
   * stream ends OK; rejects when it fails or its deadline passes (ids
   * acknowledged before still count).
   */
  recordEvents(payloads: readonly (readonly Uint8Array[])[], onAcknowledged: (ids: string[]) => void): Promise<void>;
  /** Managed services: RecordEvent for one encoded event; resolves once the gateway has it. */
  recordEvent(eventBytes: Uint8Array): Promise<void>;
  /** Cancels calls in flight (they reject CANCELLED) and closes the connection. Idempotent. */
  close(): void;
}

/** Opens a fresh connection; called once per export run. */
export type ConnectGateway = () => GatewayTransport;

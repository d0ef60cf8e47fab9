/**
 * The exporter's view of a gateway: one connection, made fresh for each export
 * run. The gRPC adapter implements it; tests may wrap it to inject faults.
 */
export interface GatewayTransport {
  /**
   * One RecordEvents stream: the identity metadata, then each payload (the
   * events' encoded bytes), then half-close. `onAcknowledged` gets each
   * response's ids as it arrives, while sending continues. Resolves when the
   * stream ends OK; rejects when it fails (ids acknowledged before still count).
   */
  recordEvents(payloads: readonly (readonly Uint8Array[])[], onAcknowledged: (ids: string[]) => void): Promise<void>;
  /** Managed services: RecordEvent for one encoded event; resolves once the gateway has it. */
  recordEvent(eventBytes: Uint8Array): Promise<void>;
  close(): void;
}

/** Opens a fresh connection; called once per export run. */
export type ConnectGateway = () => GatewayTransport;

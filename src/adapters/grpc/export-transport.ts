import { once } from 'node:events';
import { fromBinary } from '@bufbuild/protobuf';
import { Client, credentials, Metadata, type ChannelCredentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import type { ConnectGateway, GatewayTransport } from '../../exporter/gateway-transport.js';
import { identityMetadataBytes, type ExporterIdentity } from '../../exporter/exporter-identity.js';
import { RecordEventsResponseSchema, TelemeteryGatewayService } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { encodeEventsRequest, encodeMetadataRequest, encodeRecordEventRequest } from './codec.js';

const SERVICE = TelemeteryGatewayService.typeName;

export interface ExportTransportOptions {
  /** HOST:PORT of the gateway. */
  target: string;
  identity: ExporterIdentity;
  /** TLS (the default, verifying the server) or plaintext, only when explicitly asked for. */
  tls: { kind: 'tls'; rootCerts?: Buffer; clientCert?: { cert: Buffer; key: Buffer } } | { kind: 'plaintext' };
}

/** A fresh grpc-js connection per call to the returned function (one per export run). */
export function grpcGatewayConnector(options: ExportTransportOptions): ConnectGateway {
  const channelCredentials = (): ChannelCredentials =>
    options.tls.kind === 'plaintext'
      ? credentials.createInsecure()
      : credentials.createSsl(options.tls.rootCerts ?? null, options.tls.clientCert?.key ?? null, options.tls.clientCert?.cert ?? null);
  return () => createExportTransport(new Client(options.target, channelCredentials(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 }), options.identity);
}

function createExportTransport(client: Client, identity: ExporterIdentity): GatewayTransport {
  const callMetadata = (): Metadata => {
    const metadata = new Metadata();
    if (identity.kind === 'managed-service') metadata.set('authorization', `Bearer ${identity.token}`);
    return metadata;
  };
  return {
    async recordEvents(payloads, onAcknowledged) {
      const call: ClientDuplexStream<Buffer, string[]> = client.makeBidiStreamRequest(
        `/${SERVICE}/RecordEvents`,
        (request: Buffer) => request,
        (bytes: Buffer) => fromBinary(RecordEventsResponseSchema, bytes).succeededEvents,
        callMetadata(),
      );
      const ended = new Promise<void>((resolve, reject) => {
        call.on('data', onAcknowledged);
        call.on('error', (error: ServiceError) => reject(new Error(`RecordEvents failed: ${error.message}`)));
        call.on('status', (status) => (status.code === 0 ? resolve() : undefined));
      });
      ended.catch(() => {}); // observed below; sending may stop first
      const write = async (request: Buffer): Promise<void> => {
        if (!call.write(request)) await Promise.race([once(call, 'drain'), ended]);
      };
      await write(encodeMetadataRequest(identityMetadataBytes(identity)));
      for (const payload of payloads) await write(encodeEventsRequest(payload));
      call.end();
      await ended;
    },
    recordEvent(eventBytes) {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          `/${SERVICE}/RecordEvent`,
          (request: Buffer) => request,
          () => undefined,
          encodeRecordEventRequest(identityMetadataBytes(identity), eventBytes),
          callMetadata(),
          (error: ServiceError | null) => (error ? reject(new Error(`RecordEvent failed: ${error.message}`)) : resolve()),
        );
      });
    },
    close() {
      client.close();
    },
  };
}

import { once } from 'node:events';
import { fromBinary } from '@bufbuild/protobuf';
import { Client, connectivityState, credentials, Metadata, type Call, type ChannelCredentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { ExportError, exportErrorCode } from '../../exporter/export-error.js';
import type { ConnectGateway, GatewayTransport } from '../../exporter/gateway-transport.js';
import { identityMetadataBytes, type ExporterIdentity } from '../../exporter/exporter-identity.js';
import { RecordEventsResponseSchema, TelemeteryGatewayService } from '../../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { traceCall } from './call-tracing.js';
import { encodeEventsRequest, encodeMetadataRequest, encodeRecordEventRequest } from './codec.js';

const SERVICE = TelemeteryGatewayService.typeName;

/** The deployed exporter's deadline on each call and on connecting. */
export const DEFAULT_EXPORT_TIMEOUT_MS = 30_000;

export interface ExportTransportOptions {
  /** HOST:PORT of the gateway. */
  target: string;
  identity: ExporterIdentity;
  /** TLS (the default, verifying the server) or plaintext, only when explicitly asked for. */
  tls: { kind: 'tls'; rootCerts?: Buffer; clientCert?: { cert: Buffer; key: Buffer } } | { kind: 'plaintext' };
  /** Deadline of connecting and of each call (a whole RecordEvents stream). Default 30 s. */
  timeoutMs?: number;
}

/** A fresh grpc-js connection per call to the returned function (one per export run). */
export function grpcGatewayConnector(options: ExportTransportOptions): ConnectGateway {
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXPORT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new Error(`the export timeout must be more than 0 ms, got ${timeoutMs}`);
  const channelCredentials = (): ChannelCredentials =>
    options.tls.kind === 'plaintext'
      ? credentials.createInsecure()
      : credentials.createSsl(options.tls.rootCerts ?? null, options.tls.clientCert?.key ?? null, options.tls.clientCert?.cert ?? null);
  return () =>
    createExportTransport(new Client(options.target, channelCredentials(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 }), options.target, options.identity, timeoutMs);
}

/** grpc-js's error, translated once: its code, and its details without grpc-js's "N CODE:" prefix. */
function translate(call: string, error: ServiceError): ExportError {
  const code = exportErrorCode(error.code);
  const details = error.details || error.message;
  return new ExportError(code, `${call} failed: ${code}: ${details}`);
}

function createExportTransport(client: Client, target: string, identity: ExporterIdentity, timeoutMs: number): GatewayTransport {
  const calls = new Set<Call>();
  let closed = false;
  const callMetadata = (): Metadata => {
    const metadata = new Metadata();
    if (identity.kind === 'managed_service') metadata.set('authorization', `Bearer ${identity.token}`);
    return metadata;
  };
  const track = <C extends Call>(call: C): C => {
    calls.add(call);
    call.on('status', () => calls.delete(call));
    return call;
  };
  const refuseWhenClosed = (): void => {
    if (closed) throw new ExportError('CANCELLED', 'the export was cancelled (shutting down)');
  };

  return {
    ready() {
      const deadline = Date.now() + timeoutMs;
      const channel = client.getChannel();
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (closed) return reject(new ExportError('CANCELLED', 'the export was cancelled (shutting down)'));
          const state = channel.getConnectivityState(true);
          if (state === connectivityState.READY) return resolve();
          if (state === connectivityState.TRANSIENT_FAILURE) return reject(new ExportError('UNAVAILABLE', `could not connect to the gateway at ${target}`));
          if (state === connectivityState.SHUTDOWN) return reject(new ExportError('CANCELLED', 'the export was cancelled (shutting down)'));
          channel.watchConnectivityState(state, deadline, (error) => {
            if (error && !closed) reject(new ExportError('DEADLINE_EXCEEDED', `no connection to the gateway at ${target} within ${timeoutMs} ms`));
            else check();
          });
        };
        check();
      });
    },
    async recordEvents(payloads, onAcknowledged) {
      refuseWhenClosed();
      const metadata = callMetadata();
      const traced = traceCall('RecordEvents', metadata);
      let events = 0;
      for (const payload of payloads) events += payload.length;
      let acknowledged = 0;
      traced.span.setAttributes({ 'telemetry_gateway.payloads': payloads.length, 'telemetry_gateway.events': events });
      const call: ClientDuplexStream<Buffer, string[]> = track(
        client.makeBidiStreamRequest(
          `/${SERVICE}/RecordEvents`,
          (request: Buffer) => request,
          (bytes: Buffer) => fromBinary(RecordEventsResponseSchema, bytes).succeededEvents,
          metadata,
          { deadline: Date.now() + timeoutMs },
        ),
      );
      call.on('status', (status) => {
        traced.span.setAttribute('telemetry_gateway.events.acknowledged', acknowledged);
        traced.end(status.code);
      });
      const ended = new Promise<void>((resolve, reject) => {
        call.on('data', (ids: string[]) => {
          acknowledged += ids.length;
          onAcknowledged(ids);
        });
        call.on('error', (error: ServiceError) => reject(translate('RecordEvents', error)));
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
        refuseWhenClosed();
        const metadata = callMetadata();
        const traced = traceCall('RecordEvent', metadata);
        track(
          client.makeUnaryRequest(
            `/${SERVICE}/RecordEvent`,
            (request: Buffer) => request,
            () => undefined,
            encodeRecordEventRequest(identityMetadataBytes(identity), eventBytes),
            metadata,
            { deadline: Date.now() + timeoutMs },
            (error: ServiceError | null) => {
              traced.end(error ? error.code : 0);
              if (error) reject(translate('RecordEvent', error));
              else resolve();
            },
          ),
        );
      });
    },
    close() {
      if (closed) return;
      closed = true;
      for (const call of calls) call.cancel();
      client.close();
    },
  };
}

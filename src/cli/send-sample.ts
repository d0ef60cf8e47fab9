import { create } from '@bufbuild/protobuf';
import { Command } from 'commander';
import { createGatewayClient, sendEventStream } from '../adapters/grpc/gateway-client.js';
import { RecordEventsRequestMetadataSchema } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { sampleEvents } from '../tools/sample-events.js';
import { positiveInt } from './events.js';

export function sendSampleCommand(): Command {
  return new Command('send-sample')
    .description('stream realistic sample events to a gateway (plaintext) as an unlicensed instance and report the acknowledgements')
    .option('--target <host:port>', 'gateway address', '127.0.0.1:10080')
    .option('--count <n>', 'number of events', positiveInt, 10)
    .option('--payload-size <n>', 'events per payload', positiveInt, 500)
    .option('--instance-id <id>', 'unlicensed instance id to send as', 'sample-instance')
    .option('--external-url <url>', 'external URL to send as', 'https://sourcegraph.example.com')
    .action(async (options: { target: string; count: number; payloadSize: number; instanceId: string; externalUrl: string }) => {
      const client = createGatewayClient(options.target, { insecure: true });
      try {
        const events = sampleEvents(options.count);
        const payloads: (typeof events)[] = [];
        for (let i = 0; i < events.length; i += options.payloadSize) payloads.push(events.slice(i, i + options.payloadSize));
        const metadata = create(RecordEventsRequestMetadataSchema, {
          requestId: `send-sample-${Date.now()}`,
          identifier: {
            identifier: {
              case: 'unlicensedInstance',
              value: { instanceId: options.instanceId, externalUrl: options.externalUrl },
            },
          },
        });
        const responses = await sendEventStream(client, metadata, payloads);
        const acknowledged = responses.reduce((n, ids) => n + ids.length, 0);
        process.stdout.write(`${JSON.stringify({ sent: events.length, acknowledged, payloads: payloads.length })}\n`);
        if (acknowledged !== events.length) process.exitCode = 1;
      } finally {
        client.close();
      }
    });
}

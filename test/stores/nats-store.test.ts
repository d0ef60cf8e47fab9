import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { openReader, openStore } from '../../src/adapters/stores/open-store.js';
import { openNatsStore } from '../../src/adapters/stores/nats/nats-store.js';
import { EventSchema } from '../../src/gen/telemetrygateway/v1/telemetrygateway_pb.js';
import { testEvent } from '../helpers/gateway.js';
import { NATS_URL, natsTestStore, requireService } from '../helpers/services.js';
import { describeStoreContract, eventEntry, origin } from './store-contract.js';

const skip = await requireService('nats');

describe('nats', { skip }, () => {
  describeStoreContract('nats', async () => {
    const bus = natsTestStore();
    const store = await openNatsStore(bus.url);
    return {
      store,
      reader: store,
      async reopen() {
        await store.close();
        const again = await openNatsStore(bus.url);
        return { store: again, reader: again };
      },
      cleanup: bus.drop,
    };
  });

  it('nats: creates the stream with file storage, the replicas and duplicate window asked for', async () => {
    const bus = natsTestStore('duplicate_window_s=300');
    const store = await openNatsStore(bus.url);
    const nc = await connect({ servers: new URL(NATS_URL).host });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(bus.stream);
      assert.equal(info.config.storage, 'file');
      assert.equal(info.config.num_replicas, 1);
      assert.equal(info.config.duplicate_window, 300 * 1e9);
      assert.deepEqual(info.config.subjects, [`${bus.subjectPrefix}.events.>`, `${bus.subjectPrefix}.rejected.>`]);
    } finally {
      await nc.close();
      await store.close();
      await bus.drop();
    }
  });

  it('nats: publishes each event on telemetry.events.<source> with its id as message id and the deployed attributes as headers', async () => {
    const bus = natsTestStore();
    const store = await openNatsStore(bus.url);
    const nc = await connect({ servers: new URL(NATS_URL).host });
    try {
      // A marker's name is the sender's text: one that cannot be a header name is percent-encoded.
      const event = testEvent({ feature: 'cody.chat', action: 'submitted', parameters: { metadata: { recordsPrivateMetadataTranscript: 1, 'recordsPrivateMetadataNot: a name\r\n': 1 } } });
      const entry = { ...eventEntry(event.id), feature: event.feature, action: event.action, bytes: toBinary(EventSchema, event) };
      await store.write({ origin: origin(), entries: [entry] });
      const msg = await (await jetstreamManager(nc)).streams.getMessage(bus.stream, { seq: 1 });
      assert.ok(msg);
      assert.equal(msg.subject, `${bus.subjectPrefix}.events.unlicensed_instance`);
      assert.equal(msg.header.get('Nats-Msg-Id'), event.id);
      assert.equal(msg.header.get('publisher.source'), 'unlicensed_instance');
      assert.equal(msg.header.get('event.feature'), 'cody.chat');
      assert.equal(msg.header.get('event.action'), 'submitted');
      assert.equal(msg.header.get('event.hasPrivateMetadata'), 'false');
      assert.equal(msg.header.get('event.recordsPrivateMetadataTranscript'), 'true');
      assert.equal(msg.header.get(`event.${encodeURIComponent('recordsPrivateMetadataNot: a name\r\n')}`), 'true');
      assert.deepEqual(Buffer.from(msg.data), Buffer.from(entry.bytes));
    } finally {
      await nc.close();
      await store.close();
      await bus.drop();
    }
  });

  it('nats: reports health and refuses to start against a stream that does not capture its subjects', async () => {
    const bus = natsTestStore();
    const store = await openNatsStore(bus.url);
    try {
      assert.equal((await store.health()).ok, true);
      await assert.rejects(openNatsStore(bus.url.replace(/subject_prefix=[^&]+/, 'subject_prefix=elsewhere')), /does not capture elsewhere\.events\.>/);
    } finally {
      await store.close();
      await bus.drop();
    }
  });

  it('nats: the CLI reader counts and lists the stream; descriptions hide credentials', async () => {
    const bus = natsTestStore();
    const store = await openStore(bus.url);
    try {
      await store.write({ origin: origin(), entries: [eventEntry(), eventEntry(), eventEntry()] });
      const reader = await openReader(bus.url);
      assert.equal(await reader.countEvents(), 3);
      assert.equal((await reader.listEvents({ limit: 2, afterSeq: 1 })).length, 2);
      await reader.close();
      assert.equal(store.description, bus.url);
    } finally {
      await store.close();
      await bus.drop();
    }
    await assert.rejects(openStore('nats://user:s3cret-pw@127.0.0.1:1'), (error: Error) => !error.message.includes('s3cret-pw'));
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { createJetStreamPublisher } from '../../src/adapters/stores/nats/jetstream-publisher.js';
import { NATS_URL, requireService, uniqueName } from '../helpers/services.js';

const skip = await requireService('nats');

/** The NATS store's publish path, against a real server: every answer JetStream can give. */
describe('JetStream publisher', { skip }, () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const stream = uniqueName('pub').replace(/[^A-Za-z0-9_-]/g, '_');
  const subject = `${stream}.events`;
  const withId = (id: string) => {
    const h = headers();
    h.append('Nats-Msg-Id', id);
    return h;
  };

  before(async () => {
    nc = await connect({ servers: new URL(NATS_URL).host });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.events`], duplicate_window: 60_000_000_000 });
  });
  after(async () => {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  it('resolves with the ack once the message is in the stream, and tells a re-sent message id as a duplicate', async () => {
    const publisher = createJetStreamPublisher(nc, 5000);
    try {
      const acks = await Promise.all(['a', 'b', 'a'].map((id) => publisher.publish(subject, Buffer.from(id), withId(id))));
      assert.deepEqual(acks, [{ duplicate: false }, { duplicate: false }, { duplicate: true }]);
      assert.equal((await jsm.streams.info(stream)).state.messages, 2);
    } finally {
      publisher.close();
    }
  });

  it('rejects what JetStream refuses, with its reason', async () => {
    const publisher = createJetStreamPublisher(nc, 5000);
    try {
      const h = withId('c');
      h.append('Nats-Expected-Stream', 'another-stream');
      await assert.rejects(publisher.publish(subject, Buffer.from('c'), h), /JetStream refused the message: .*expected stream/i);
    } finally {
      publisher.close();
    }
  });

  it('rejects a subject no stream listens on', async () => {
    const publisher = createJetStreamPublisher(nc, 5000);
    try {
      await assert.rejects(publisher.publish(`${stream}.nowhere`, Buffer.from('x'), withId('x')), /no JetStream stream listens/);
    } finally {
      publisher.close();
    }
  });

  it('rejects after the timeout when nothing acknowledges, and on close', async () => {
    const silent = nc.subscribe(`${stream}.silent`, { callback: () => undefined }); // answers nothing
    const publisher = createJetStreamPublisher(nc, 200);
    try {
      const started = performance.now();
      await assert.rejects(publisher.publish(`${stream}.silent`, Buffer.from('x'), withId('y')), /no acknowledgement within 200 ms/);
      assert.ok(performance.now() - started >= 200);
      const pending = publisher.publish(`${stream}.silent`, Buffer.from('x'), withId('z'));
      publisher.close();
      await assert.rejects(pending, /publisher closed/);
    } finally {
      silent.unsubscribe();
      publisher.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestGateway } from '../helpers/gateway.js';
import { rawHttp } from '../helpers/raw-http.js';

/** The gateway still answers plain HTTP after whatever came before. */
async function assertServing(address: string): Promise<void> {
  const response = await fetch(`http://${address}/-/version`);
  assert.equal(response.status, 200);
}

describe('HTTP requests that used to end the process', () => {
  it('a request target that is not a URL gets 400 (http://[ and a port out of range)', async () => {
    await using t = await startTestGateway();
    for (const target of ['http://[', 'http://a:99999999/', 'http://[::1']) {
      const answer = await rawHttp(t.gateway.address, [`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`], { untilText: '\r\n\r\n' });
      assert.equal(answer.status, 400, `${target}: ${answer.text}`);
    }
    await assertServing(t.gateway.address);
  });

  it('POST /login with a body over 4096 bytes gets 413; one cut short is dropped; the process lives on', async () => {
    await using t = await startTestGateway({ diagnosticsSecret: 'robust-secret' });
    const head = (length: number): string =>
      `POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${length}\r\n\r\n`;
    const declared = await rawHttp(t.gateway.address, [head(5000), 'secret=' + 'x'.repeat(4993)]);
    assert.equal(declared.status, 413, declared.text);
    // Undeclared length (chunked): the cap applies to what actually arrives.
    const chunk = 'x'.repeat(6000);
    const chunked = await rawHttp(t.gateway.address, [
      'POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n',
      `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
    ]);
    assert.equal(chunked.status, 413, chunked.text);
    const cut = await rawHttp(t.gateway.address, [head(100), 'secret=abc'], { destroyAfterWrite: true, waitMs: 1000 });
    assert.equal(cut.status, undefined);
    await assertServing(t.gateway.address);
    await assertServing(t.gateway.address);
  });
});

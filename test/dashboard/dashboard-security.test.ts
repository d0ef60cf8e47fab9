import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createSecretGuard } from '../../src/adapters/http/secret-guard.js';
import { createHostCheck } from '../../src/adapters/http/host-allowlist.js';
import { startTestGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';
import { rawHttp } from '../helpers/raw-http.js';
import { startDashboardGateway } from './dashboard-gateway.js';
import { loginChallenge, postForm, postLogin, sessionCookie } from './sign-in.js';

const SECRET = 'security-test-secret';

/** A logger whose JSON lines are kept in memory. */
function memoryLogger(): { logger: pino.Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { chunks.push(String(chunk)); done(); } });
  return { logger: pino({ level: 'debug' }, stream), lines: () => chunks.join('').split('\n').filter(Boolean) };
}

describe('sign-in throttling', () => {
  it('lets a client fail 3 times, then makes it wait 1 s, 2 s, 4 s...; failures are logged without the secret', () => {
    let now = 1_000_000;
    const { logger, lines } = memoryLogger();
    const guard = createSecretGuard({ secret: SECRET, logger, now: () => now });
    for (let i = 0; i < 3; i++) assert.equal(guard.check('10.0.0.1', `guess-${i}`, '/login').result, 'denied');
    assert.equal(guard.waitSeconds('10.0.0.1'), 0);
    assert.equal(guard.check('10.0.0.1', 'guess-3', '/login').result, 'denied');
    assert.deepEqual(guard.check('10.0.0.1', SECRET, '/login'), { result: 'throttled', retryAfterSeconds: 1 }, 'not even checked while waiting');
    assert.equal(guard.check('10.0.0.2', SECRET, '/login').result, 'ok', 'other clients are not affected');
    now += 1000;
    assert.equal(guard.check('10.0.0.1', 'guess-4', '/login').result, 'denied');
    assert.equal(guard.waitSeconds('10.0.0.1'), 2);
    now += 2000;
    assert.equal(guard.check('10.0.0.1', 'guess-5', '/-/healthz').result, 'denied');
    assert.equal(guard.waitSeconds('10.0.0.1'), 4);
    now += 4000;
    assert.equal(guard.check('10.0.0.1', SECRET, '/login').result, 'ok');
    assert.equal(guard.waitSeconds('10.0.0.1'), 0, 'success clears the count');
    const logged = lines();
    assert.equal(logged.length, 6);
    assert.match(logged[5]!, /"client":"10.0.0.1".*"where":"\/-\/healthz".*"failures":6/);
    assert.ok(logged.every((line) => !line.includes('guess') && !line.includes(SECRET)), 'nothing offered is logged');
  });

  it('over HTTP: wrong secrets at /login, /api and /-/healthz share one count; the 5th try gets 429 with Retry-After', async () => {
    await using t = await startDashboardGateway({ diagnosticsSecret: SECRET });
    assert.equal((await postLogin(t.baseUrl, 'wrong-1')).status, 401);
    assert.equal((await fetch(`${t.baseUrl}/api/overview`, { headers: { authorization: 'Bearer wrong-2' } })).status, 401);
    assert.equal((await fetch(`${t.baseUrl}/-/healthz`, { headers: { authorization: 'Bearer wrong-3' } })).status, 401);
    assert.equal((await postLogin(t.baseUrl, 'wrong-4')).status, 401);
    const throttled = await postLogin(t.baseUrl, SECRET);
    assert.equal(throttled.status, 429, 'even the right secret waits');
    assert.ok(Number(throttled.headers['retry-after']) >= 1);
    const healthz = await fetch(`${t.baseUrl}/-/healthz`, { headers: { authorization: `Bearer ${SECRET}` } });
    assert.equal(healthz.status, 429);
    const signedIn = await pollUntil('the wait is over', async () => {
      const answer = await postLogin(t.baseUrl, SECRET);
      return answer.status === 303 ? answer : undefined;
    }, 5000);
    assert.equal((await fetch(`${t.baseUrl}/api/overview`, { headers: { cookie: sessionCookie(signedIn) } })).status, 200);
  });
});

describe('dashboard sessions', () => {
  it('are random ids, SameSite=Strict, that expire and die on sign-out (which needs the CSRF token)', async () => {
    await using t = await startDashboardGateway({ diagnosticsSecret: SECRET, dashboardSessionTtlMs: 1500 });
    const first = await postLogin(t.baseUrl, SECRET);
    const second = await postLogin(t.baseUrl, SECRET);
    const [a, b] = [sessionCookie(first), sessionCookie(second)];
    assert.notEqual(a, b, 'a new id per sign-in, not a function of the secret');
    assert.match(first.headers['set-cookie']!.find((c) => c.startsWith('tgw_dashboard='))!, /HttpOnly; SameSite=Strict; Path=\/; Max-Age|Max-Age=1; HttpOnly; SameSite=Strict/);

    const session = (await (await fetch(`${t.baseUrl}/api/session`, { headers: { cookie: a } })).json()) as { csrfToken: string };
    assert.equal(typeof session.csrfToken, 'string');
    assert.equal((await postForm(`${t.baseUrl}/logout`, {}, { cookie: a })).status, 403, 'sign-out without the token is refused');
    assert.equal((await postForm(`${t.baseUrl}/logout`, { csrf: 'forged' }, { cookie: a })).status, 403);
    assert.equal((await fetch(`${t.baseUrl}/api/overview`, { headers: { cookie: a } })).status, 200, 'still signed in');
    const out = await postForm(`${t.baseUrl}/logout`, { csrf: session.csrfToken }, { cookie: a });
    assert.equal(out.status, 303);
    assert.equal((await fetch(`${t.baseUrl}/api/overview`, { headers: { cookie: a } })).status, 401, 'the old cookie is dead after sign-out');

    assert.equal((await fetch(`${t.baseUrl}/api/overview`, { headers: { cookie: b } })).status, 200);
    await pollUntil('the session expired', async () => ((await fetch(`${t.baseUrl}/api/overview`, { headers: { cookie: b } })).status === 401 ? true : undefined), 5000);
  });

  it('sign-in needs the form token matching its cookie (login CSRF)', async () => {
    await using t = await startDashboardGateway({ diagnosticsSecret: SECRET });
    assert.equal((await postForm(`${t.baseUrl}/login`, { secret: SECRET })).status, 403, 'no token');
    const { csrf, cookie } = await loginChallenge(t.baseUrl);
    assert.equal((await postForm(`${t.baseUrl}/login`, { secret: SECRET, csrf })).status, 403, 'token without its cookie');
    assert.equal((await postForm(`${t.baseUrl}/login`, { secret: SECRET, csrf: `${csrf}x` }, { cookie })).status, 403, 'mismatch');
    assert.equal((await postForm(`${t.baseUrl}/login`, { secret: SECRET, csrf }, { cookie, 'sec-fetch-site': 'cross-site' })).status, 403, 'cross-site post');
    assert.equal((await postForm(`${t.baseUrl}/login`, { secret: SECRET, csrf }, { cookie })).status, 303);
  });
});

describe('HTTP security headers, Host allowlist, /metrics', () => {
  it('every answer forbids framing and foreign content (CSP frame-ancestors none)', async () => {
    await using t = await startDashboardGateway({ diagnosticsSecret: SECRET });
    for (const path of ['/', '/api/overview', '/-/version', '/nope']) {
      const response = await fetch(`${t.baseUrl}${path}`);
      assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/, path);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
    }
  });

  it('answers only its own host names (DNS rebinding): 421 for another name; IP literals and localhost pass', async () => {
    await using t = await startTestGateway();
    const port = t.gateway.address.split(':').pop();
    const get = async (host: string) =>
      (await rawHttp(t.gateway.address, [`GET /-/version HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`])).status;
    assert.equal(await get(`attacker.example:${port}`), 421);
    assert.equal(await get(`localhost:${port}`), 200);
    assert.equal(await get(`LOCALHOST.:${port}`), 200);
    assert.equal(await get(`127.0.0.1:${port}`), 200);
    assert.equal(await get(`[::1]:${port}`), 200);
    const check = createHostCheck(['gw.example.com'], '0.0.0.0');
    assert.deepEqual(['gw.example.com:443', 'localhost', '10.0.0.7:10080', 'evil.example'].map(check), [true, false, true, false]);
    assert.equal(createHostCheck(['*'], '127.0.0.1')('anything.example'), true);
    assert.equal(createHostCheck([], 'gateway.internal')('gateway.internal:10080'), true, 'the --listen name by default');
  });

  it('/metrics needs the diagnostics secret when one is set, unless --metrics-public', async () => {
    {
      await using t = await startTestGateway({ diagnosticsSecret: SECRET });
      const base = `http://${t.gateway.address}/metrics`;
      assert.equal((await fetch(base)).status, 401);
      const ok = await fetch(base, { headers: { authorization: `Bearer ${SECRET}` } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /telemetry_gateway_/);
    }
    {
      await using t = await startTestGateway({ diagnosticsSecret: SECRET, metricsPublic: true });
      assert.equal((await fetch(`http://${t.gateway.address}/metrics`)).status, 200);
    }
  });
});

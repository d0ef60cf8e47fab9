import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { sourceIdentity } from '../../../core/identity/source-identity.js';
import { parseTailFilter } from '../../../dashboard/tail-filter.js';
import type { ApiError, InstancesResponse, Overview, RejectedEventDetail, RejectedResponse, SessionInfo } from '../../../dashboard/api-types.js';
import type { DashboardService } from '../../../dashboard/dashboard-service.js';
import type { TailHub } from '../../../dashboard/tail-hub.js';
import { clientKey } from '../../net/client-address.js';
import { readBody } from '../request-body.js';
import type { SecretGuard } from '../secret-guard.js';
import { createDashboardSession } from './dashboard-session.js';
import { loginPage } from './login-page.js';
import { parseRejectedFilter, renderRejectedEvent, toInstanceRow } from './api-views.js';
import { createSseClient } from './sse-client.js';
import { createStaticAssets } from './static-assets.js';

export interface DashboardHandlerOptions {
  service: DashboardService;
  tail: TailHub;
  /** Checks of the diagnostics secret (throttled per client, failures logged). */
  guard: SecretGuard;
  /** How long a sign-in lasts. */
  sessionTtlMs: number;
  /** Built pages; defaults to <package>/dist/web. */
  assetsDir?: string;
}

export interface DashboardHandler {
  handles(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

const MAX_FORM_BODY_BYTES = 4096;
/** Live-tail connections at once; each holds a socket and up to its SSE buffer bound. */
const MAX_TAIL_CLIENTS = 32;

/** The operator dashboard on the gateway's HTTP side: pages, sign-in, JSON APIs and the live tail. */
export function createDashboardHandler(options: DashboardHandlerOptions): DashboardHandler {
  const session = createDashboardSession({ guard: options.guard, ttlMs: options.sessionTtlMs });
  const assets = createStaticAssets(options.assetsDir);

  // Every answer is typed as what src/dashboard/api-types.ts declares for its endpoint: the pages read those types.
  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    if (path === '/api/overview') return sendApi<Overview>(res, 200, await options.service.overview());
    if (path === '/api/session') return sendApi<SessionInfo>(res, 200, { signInRequired: session.required, csrfToken: session.csrfToken(req) ?? null });
    if (path === '/api/instances') {
      const { instances, source } = await options.service.instances();
      return sendApi<InstancesResponse>(res, 200, { source, instances: instances.map(toInstanceRow) });
    }
    if (path === '/api/rejected') {
      const filter = parseRejectedFilter(url.searchParams);
      if (typeof filter === 'string') return sendApi<ApiError>(res, 400, { error: filter });
      const { rejected, source } = await options.service.rejected(filter);
      return sendApi<RejectedResponse>(res, 200, { source, rejected: rejected.map((r) => ({ ...r, source: sourceIdentity(r.source) })) });
    }
    const one = /^\/api\/rejected\/(\d{1,15})$/.exec(path);
    if (one) {
      const row = await options.service.rejectedEvent(Number(one[1]));
      return row ? sendApi<RejectedEventDetail>(res, 200, renderRejectedEvent(row)) : sendApi<ApiError>(res, 404, { error: 'no such rejected event' });
    }
    if (path === '/api/tail') {
      if (options.tail.clients >= MAX_TAIL_CLIENTS) return sendApi<ApiError>(res, 503, { error: `at most ${MAX_TAIL_CLIENTS} live tails at once` });
      const client = createSseClient(res);
      const unsubscribe = options.tail.subscribe(parseTailFilter(url.searchParams), (item) => client.send('record', item));
      req.socket?.setTimeout(0);
      res.once('close', unsubscribe);
      return;
    }
    return sendApi<ApiError>(res, 404, { error: 'not found' });
  };

  /** The sign-in form, with a fresh CSRF token (and the cookie holding its twin). */
  const signInPage = (res: ServerResponse, status: number, error: string | undefined, secure: boolean, retryAfterSeconds?: number): void => {
    const challenge = session.loginChallenge(secure);
    sendHtml(res, status, loginPage(error, challenge.token), {
      'set-cookie': challenge.setCookie,
      ...(retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}),
    });
  };

  /** The fields of a small urlencoded form, or undefined when the answer was already given (too large, client gone). */
  const readForm = async (req: IncomingMessage, res: ServerResponse): Promise<URLSearchParams | undefined> => {
    const body = await readBody(req, MAX_FORM_BODY_BYTES);
    if (body.kind === 'aborted') return undefined;
    if (body.kind === 'too_large') {
      sendText(res, 413, 'request body too large\n', true);
      return undefined;
    }
    return new URLSearchParams(body.text);
  };

  return {
    handles: (path) =>
      path === '/' || path === '/login' || path === '/logout' || path.startsWith('/assets/') || path.startsWith('/api/'),

    async handle(req, res, url) {
      const path = url.pathname;
      const method = req.method ?? 'GET';
      // Read now: a request whose client has gone has no socket any more.
      const client = clientKey(req.socket?.remoteAddress);
      const secure = (req.socket as TLSSocket | null)?.encrypted === true;
      if (path.startsWith('/assets/')) {
        const asset = method === 'GET' || method === 'HEAD' ? await assets(path.slice('/assets/'.length)) : undefined;
        if (!asset) return sendText(res, 404, 'not found\n');
        res.writeHead(200, { 'content-type': asset.contentType, 'content-length': asset.body.length, 'cache-control': 'no-cache' });
        res.end(method === 'HEAD' ? undefined : asset.body);
        return;
      }
      if (method === 'POST' && req.headers['sec-fetch-site'] === 'cross-site') return sendText(res, 403, 'cross-site form posts are refused\n');
      if (path === '/login' && method === 'POST') {
        if (!session.required) return redirectHome(res);
        const form = await readForm(req, res);
        if (form === undefined) return;
        if (!session.loginTokenValid(req, form.get('csrf') ?? '')) return signInPage(res, 403, 'The sign-in form expired; please try again.', secure);
        const result = session.login(form.get('secret') ?? '', client, secure);
        if (result.result === 'throttled') {
          return signInPage(res, 429, `Too many wrong tries from your address; wait ${result.retryAfterSeconds} s.`, secure, result.retryAfterSeconds);
        }
        if (result.result === 'denied') return signInPage(res, 401, 'That is not the diagnostics secret.', secure);
        return redirectHome(res, result.setCookies);
      }
      if (path === '/logout' && method === 'POST') {
        if (!session.required) return redirectHome(res);
        const form = await readForm(req, res);
        if (form === undefined) return;
        if (session.csrfToken(req) === undefined) return redirectHome(res); // already signed out (or expired)
        const cleared = session.logout(req, form.get('csrf') ?? '');
        if (cleared === undefined) return sendText(res, 403, 'sign-out needs the token of the page\'s form\n');
        return redirectHome(res, [cleared]);
      }
      if (method !== 'GET' && method !== 'HEAD') return sendText(res, 405, 'method not allowed\n');
      const access = session.access(req, client, path);
      if (access.result === 'throttled') {
        if (path.startsWith('/api/')) {
          return sendApi<ApiError>(res, 429, { error: `too many wrong secrets from your address; wait ${access.retryAfterSeconds} s` }, { 'retry-after': String(access.retryAfterSeconds) });
        }
        return signInPage(res, 429, `Too many wrong tries from your address; wait ${access.retryAfterSeconds} s.`, secure, access.retryAfterSeconds);
      }
      if (access.result !== 'ok') {
        if (path.startsWith('/api/')) return sendApi<ApiError>(res, 401, { error: 'sign in at / or send Authorization: Bearer <diagnostics secret>' });
        return signInPage(res, 401, undefined, secure);
      }
      if (path.startsWith('/api/')) {
        try {
          return await api(req, res, url);
        } catch (error) {
          if (res.headersSent) throw error;
          return sendApi<ApiError>(res, 503, { error: error instanceof Error ? error.message : String(error) });
        }
      }
      const index = await assets('index.html');
      if (!index) return sendText(res, 503, 'dashboard pages are not built: run `npm run build`\n');
      res.writeHead(200, { 'content-type': index.contentType, 'content-length': index.body.length, 'cache-control': 'no-cache' });
      res.end(method === 'HEAD' ? undefined : index.body);
    },
  };
}

function redirectHome(res: ServerResponse, setCookies?: string[]): void {
  res.writeHead(303, { location: '/', 'content-length': 0, 'cache-control': 'no-store', ...(setCookies ? { 'set-cookie': setCookies } : {}) });
  res.end();
}

/** Answers one of the api-types.ts types as JSON; the type argument names which (there is no default, so none is left unchecked). */
function sendApi<T extends object = never>(res: ServerResponse, status: number, value: NoInfer<T>, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, body: string, close = false): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...(close ? { connection: 'close' } : {}) });
  res.end(body);
}

function sendHtml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(body);
}

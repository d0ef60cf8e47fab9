import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { sourceIdentity } from '../../../core/source-identity.js';
import { parseTailFilter } from '../../../dashboard/tail-filter.js';
import type { DashboardService } from '../../../dashboard/dashboard-service.js';
import type { TailHub } from '../../../dashboard/tail-hub.js';
import { createDashboardSession } from './dashboard-session.js';
import { loginPage } from './login-page.js';
import { parseRejectedFilter, renderRejectedEvent, toInstanceRow } from './api-views.js';
import { createSseClient } from './sse-client.js';
import { createStaticAssets } from './static-assets.js';
import { readBody } from '../request-body.js';

export interface DashboardHandlerOptions {
  service: DashboardService;
  tail: TailHub;
  diagnosticsSecret: string | undefined;
  /** Built pages; defaults to <package>/dist/web. */
  assetsDir?: string;
}

export interface DashboardHandler {
  handles(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

const MAX_LOGIN_BODY_BYTES = 4096;
/** Live-tail connections at once; each holds a socket and up to its SSE buffer bound. */
const MAX_TAIL_CLIENTS = 32;

/** The operator dashboard on the gateway's HTTP side: pages, sign-in, JSON APIs and the live tail. */
export function createDashboardHandler(options: DashboardHandlerOptions): DashboardHandler {
  const session = createDashboardSession(options.diagnosticsSecret);
  const assets = createStaticAssets(options.assetsDir);

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    if (path === '/api/overview') return sendJson(res, 200, await options.service.overview());
    if (path === '/api/session') return sendJson(res, 200, { signInRequired: session.required });
    if (path === '/api/instances') {
      const { instances, source } = await options.service.instances();
      return sendJson(res, 200, { source, instances: instances.map(toInstanceRow) });
    }
    if (path === '/api/rejected') {
      const filter = parseRejectedFilter(url.searchParams);
      if (typeof filter === 'string') return sendJson(res, 400, { error: filter });
      const { rejected, source } = await options.service.rejected(filter);
      return sendJson(res, 200, { source, rejected: rejected.map((r) => ({ ...r, source: sourceIdentity(r.source) })) });
    }
    const one = /^\/api\/rejected\/(\d{1,15})$/.exec(path);
    if (one) {
      const row = await options.service.rejectedEvent(Number(one[1]));
      return row ? sendJson(res, 200, renderRejectedEvent(row)) : sendJson(res, 404, { error: 'no such rejected event' });
    }
    if (path === '/api/tail') {
      if (options.tail.clients >= MAX_TAIL_CLIENTS) return sendJson(res, 503, { error: `at most ${MAX_TAIL_CLIENTS} live tails at once` });
      const client = createSseClient(res);
      const unsubscribe = options.tail.subscribe(parseTailFilter(url.searchParams), (item) => client.send('record', item));
      req.socket.setTimeout(0);
      res.once('close', unsubscribe);
      return;
    }
    return sendJson(res, 404, { error: 'not found' });
  };

  return {
    handles: (path) =>
      path === '/' || path === '/login' || path === '/logout' || path.startsWith('/assets/') || path.startsWith('/api/'),

    async handle(req, res, url) {
      const path = url.pathname;
      const method = req.method ?? 'GET';
      if (path.startsWith('/assets/')) {
        const asset = method === 'GET' || method === 'HEAD' ? await assets(path.slice('/assets/'.length)) : undefined;
        if (!asset) return sendText(res, 404, 'not found\n');
        res.writeHead(200, { 'content-type': asset.contentType, 'content-length': asset.body.length, 'cache-control': 'no-cache' });
        res.end(method === 'HEAD' ? undefined : asset.body);
        return;
      }
      if (path === '/login' && method === 'POST') {
        if (!session.required) return redirectHome(res);
        const secure = (req.socket as TLSSocket | null)?.encrypted === true;
        const body = await readBody(req, MAX_LOGIN_BODY_BYTES);
        if (body.kind === 'aborted') return;
        if (body.kind === 'too_large') return sendText(res, 413, 'request body too large\n', true);
        const cookie = session.login(new URLSearchParams(body.text).get('secret') ?? '', secure);
        if (!cookie) return sendHtml(res, 401, loginPage('That is not the diagnostics secret.'));
        return redirectHome(res, cookie);
      }
      if (path === '/logout' && method === 'POST') return redirectHome(res, session.logoutCookie);
      if (method !== 'GET' && method !== 'HEAD') return sendText(res, 405, 'method not allowed\n');
      if (!session.allows(req)) {
        if (path.startsWith('/api/')) return sendJson(res, 401, { error: 'sign in at / or send Authorization: Bearer <diagnostics secret>' });
        return sendHtml(res, 401, loginPage(undefined));
      }
      if (path.startsWith('/api/')) {
        try {
          return await api(req, res, url);
        } catch (error) {
          return sendJson(res, 503, { error: error instanceof Error ? error.message : String(error) });
        }
      }
      const index = await assets('index.html');
      if (!index) return sendText(res, 503, 'dashboard pages are not built: run `npm run build`\n');
      res.writeHead(200, { 'content-type': index.contentType, 'content-length': index.body.length, 'cache-control': 'no-cache' });
      res.end(method === 'HEAD' ? undefined : index.body);
    },
  };
}

function redirectHome(res: ServerResponse, setCookie?: string): void {
  res.writeHead(303, { location: '/', 'content-length': 0, ...(setCookie ? { 'set-cookie': setCookie } : {}) });
  res.end();
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, body: string, close = false): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...(close ? { connection: 'close' } : {}) });
  res.end(body);
}

function sendHtml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

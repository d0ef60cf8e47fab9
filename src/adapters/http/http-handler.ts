import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { EventStore } from '../../core/store.js';
import type { Logger } from '../../logger.js';
import { clientKey } from '../net/client-address.js';
import type { DashboardHandler } from './dashboard/dashboard-handler.js';
import type { Readiness } from './readiness.js';
import { send } from './respond.js';
import { bearerSecret, type SecretGuard } from './secret-guard.js';

export interface HttpHandlerOptions {
  version: string;
  store: EventStore;
  registry: Registry;
  /** Checks of the diagnostics secret (throttled per client, failures logged). */
  guard: SecretGuard;
  /** Serve /metrics without the secret even when one is set. */
  metricsPublic: boolean;
  /** Whether a Host header is one this gateway answers (see createHostCheck). */
  hostAllowed: (host: string | undefined) => boolean;
  /** The operator dashboard (pages and /api/...); absent when turned off. */
  dashboard?: DashboardHandler;
  /** Store writable and not draining, for /-/readyz; without it /-/readyz asks the store each time. */
  readiness?: Readiness;
  /** Unexpected failures are logged here, once each, with the method and path (never headers or bodies). */
  logger: Logger;
}

export type HttpRequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Headers on every HTTP answer: nothing may frame the pages, load anything
 * from elsewhere, or guess content types.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Plain-HTTP endpoints served next to gRPC: version, health and Prometheus
 * metrics, and the dashboard. No request can take the process down: a target
 * that is not a URL is answered 400, and any failure while answering becomes a
 * 500 (or, once the answer has started, a closed connection), logged once.
 */
export function createHttpHandler(options: HttpHandlerOptions): HttpRequestListener {
  /** The diagnostics secret check for /-/healthz and /metrics: true when allowed, else the answer is already given. */
  const guarded = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (!options.guard.required) return true;
    const offered = bearerSecret(req.headers.authorization);
    if (offered === null) {
      send(res, 400, 'expected Authorization: Bearer <diagnostics secret>\n');
      return false;
    }
    if (offered === undefined) {
      send(res, 401, 'unauthorized\n');
      return false;
    }
    const checked = options.guard.check(clientKey(req.socket?.remoteAddress), offered, path);
    if (checked.result === 'ok') return true;
    if (checked.result === 'throttled') {
      send(res, 429, `too many wrong secrets from your address; wait ${checked.retryAfterSeconds} s\n`, { headers: { 'retry-after': String(checked.retryAfterSeconds) } });
    } else send(res, 401, 'unauthorized\n');
    return false;
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const url = parseTarget(req.url);
    if (url === undefined) return send(res, 400, 'bad request target\n', { close: true });
    if (!options.hostAllowed(req.headers.host)) return send(res, 421, 'this gateway does not answer for that Host (see --allowed-hosts)\n', { close: true });
    const path = url.pathname;
    if (options.dashboard?.handles(path)) return options.dashboard.handle(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    switch (path) {
      case '/-/version':
        return send(res, 200, `${options.version}\n`);
      case '/-/livez':
        // The process answers HTTP: nothing else is checked (no store, no secret).
        return send(res, 200, 'livez: ok\n', { headers: { 'cache-control': 'no-store' } });
      case '/-/readyz': {
        // Unauthenticated and cheap: the state is refreshed in the background, not per request.
        const state = options.readiness ? await options.readiness.state() : await storeReady(options.store);
        return state.ready
          ? send(res, 200, 'readyz: ok\n', { headers: { 'cache-control': 'no-store' } })
          : send(res, 503, `readyz: ${state.reason}\n`, { headers: { 'cache-control': 'no-store' } });
      }
      case '/-/healthz': {
        if (!guarded(req, res, path)) return;
        const health = await options.store.health();
        return health.ok
          ? send(res, 200, 'healthz: ok\n')
          : send(res, 500, `healthz: store ${options.store.description} is not writable: ${health.reason}\n`);
      }
      case '/metrics': {
        if (!options.metricsPublic && !guarded(req, res, path)) return;
        const body = await options.registry.metrics();
        return send(res, 200, body, { contentType: options.registry.contentType });
      }
      default:
        return send(res, 404, 'not found\n');
    }
  };

  return (req, res) => {
    route(req, res).catch((error: unknown) => failRequest(req, res, error, options.logger));
  };
}

async function storeReady(store: EventStore): Promise<{ ready: true } | { ready: false; reason: string }> {
  const health = await store.health();
  return health.ok ? { ready: true } : { ready: false, reason: `store ${store.description} is not writable: ${health.reason}` };
}

/** The request target as a URL (origin-form or absolute-form), or undefined when it is not one. */
function parseTarget(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://gateway');
  } catch {
    return undefined;
  }
}

/** Answers 500 when nothing was sent yet, else cuts the connection; logs the failure once. */
function failRequest(req: IncomingMessage, res: ServerResponse, error: unknown, logger: Logger): void {
  const path = parseTarget(req.url)?.pathname ?? '(not a URL)';
  logger.error({ method: req.method, path, error: error instanceof Error ? error.message : String(error) }, 'HTTP request failed');
  try {
    if (!res.headersSent && !res.destroyed) send(res, 500, 'internal error\n', { close: true });
    else res.destroy();
  } catch {
    res.destroy();
  }
}

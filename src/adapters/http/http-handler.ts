import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { EventStore } from '../../core/store.js';
import type { Logger } from '../../logger.js';
import type { DashboardHandler } from './dashboard/dashboard-handler.js';
import { checkDiagnosticsAuth } from './diagnostics-auth.js';
import { send } from './respond.js';

export interface HttpHandlerOptions {
  version: string;
  store: EventStore;
  registry: Registry;
  diagnosticsSecret: string | undefined;
  /** The operator dashboard (pages and /api/...); absent when turned off. */
  dashboard?: DashboardHandler;
  /** Unexpected failures are logged here, once each, with the method and path (never headers or bodies). */
  logger: Logger;
}

export type HttpRequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Plain-HTTP endpoints served next to gRPC: version, health and Prometheus
 * metrics, and the dashboard. No request can take the process down: a target
 * that is not a URL is answered 400, and any failure while answering becomes a
 * 500 (or, once the answer has started, a closed connection), logged once.
 */
export function createHttpHandler(options: HttpHandlerOptions): HttpRequestListener {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = parseTarget(req.url);
    if (url === undefined) return send(res, 400, 'bad request target\n', { close: true });
    const path = url.pathname;
    if (options.dashboard?.handles(path)) return options.dashboard.handle(req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    switch (path) {
      case '/-/version':
        return send(res, 200, `${options.version}\n`);
      case '/-/healthz': {
        const auth = checkDiagnosticsAuth(req.headers.authorization, options.diagnosticsSecret);
        if (auth === 'malformed') return send(res, 400, 'expected Authorization: Bearer <diagnostics secret>\n');
        if (auth === 'denied') return send(res, 401, 'unauthorized\n');
        const health = await options.store.health();
        return health.ok
          ? send(res, 200, 'healthz: ok\n')
          : send(res, 500, `healthz: store ${options.store.description} is not writable: ${health.reason}\n`);
      }
      case '/metrics': {
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

/** The request target as a URL (origin-form or absolute-form), or undefined when it is not one. */
export function parseTarget(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://gateway');
  } catch {
    return undefined;
  }
}

/** Answers 500 when nothing was sent yet, else cuts the connection; logs the failure once. */
export function failRequest(req: IncomingMessage, res: ServerResponse, error: unknown, logger: Logger): void {
  const path = parseTarget(req.url)?.pathname ?? '(not a URL)';
  logger.error({ method: req.method, path, error: error instanceof Error ? error.message : String(error) }, 'HTTP request failed');
  try {
    if (!res.headersSent && !res.destroyed) send(res, 500, 'internal error\n', { close: true });
    else res.destroy();
  } catch {
    res.destroy();
  }
}

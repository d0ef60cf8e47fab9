import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { EventStore } from '../../core/store.js';
import type { DashboardHandler } from './dashboard/dashboard-handler.js';
import { checkDiagnosticsAuth } from './diagnostics-auth.js';

export interface HttpHandlerOptions {
  version: string;
  store: EventStore;
  registry: Registry;
  diagnosticsSecret: string | undefined;
  /** The operator dashboard (pages and /api/...); absent when turned off. */
  dashboard?: DashboardHandler;
}

/** Plain-HTTP endpoints served next to gRPC: version, health and Prometheus metrics. */
export function createHttpHandler(options: HttpHandlerOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://gateway');
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
        return send(res, 200, body, options.registry.contentType);
      }
      default:
        return send(res, 404, 'not found\n');
    }
  };
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

import type { GatewayConfig } from '../config/gateway-config.js';

const LISTEN_HINTS: Record<string, string> = {
  EADDRINUSE: 'address already in use: another process listens there; stop it or choose another --listen',
  EACCES: 'permission denied: ports below 1024 need privileges (CAP_NET_BIND_SERVICE); choose a port >= 1024 or grant the capability',
  EADDRNOTAVAIL: 'no local interface has this address; use one of this host\'s addresses, or 0.0.0.0 for all',
  ENOTFOUND: 'the host name does not resolve; use an IP address or a resolvable name',
};

/**
 * One line for an error that stopped `serve` from starting: which flag or
 * file, what went wrong, and what to do. Errors raised from settings and files
 * already name their flag; listen errors are phrased here.
 */
export function describeStartupError(error: unknown, config: GatewayConfig): string {
  const e = error as NodeJS.ErrnoException & { hostname?: string };
  if (e?.syscall === 'listen' || e?.syscall === 'getaddrinfo') {
    const hint = LISTEN_HINTS[e.code ?? ''] ?? `${e.code ?? e.message}`;
    return `--listen ${config.listen}: cannot listen (${hint})`;
  }
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
  // Every store names itself first when it fails to open: "postgres store postgres://host/db: ...".
  if (/^(sqlite|postgres|nats) store /.test(message)) {
    return `--store: ${message}${message.includes('; ') ? '' : '; check --store and that the store is reachable, then start again'}`;
  }
  return message;
}

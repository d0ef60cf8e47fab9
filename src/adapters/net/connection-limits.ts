import type { Server, Socket } from 'node:net';
import type { Logger } from '../../logger.js';
import { clientKey } from './client-address.js';

export interface ConnectionLimitOptions {
  /** Connections open at once, every protocol together; more are closed as they arrive. 0: no limit. */
  maxConnections: number;
  /** Connections open at once from one client address (IPv6: one /64); 0: no limit. */
  maxConnectionsPerClient: number;
  logger: Logger;
}

export interface ConnectionLimits {
  /** Open connections per client key (for tests and diagnostics). */
  openFrom(key: string): number;
}

/**
 * Caps connections on the listening server before any protocol sees them:
 * the total through Node's own `maxConnections` (checked before 'connection'
 * is emitted), the per-client count here, first among the 'connection'
 * listeners. A refused connection is closed at once; refusals are logged at
 * most once a minute per reason, with the count since the last line.
 */
export function limitConnections(server: Server, options: ConnectionLimitOptions): ConnectionLimits {
  if (options.maxConnections > 0) server.maxConnections = options.maxConnections;
  const open = new Map<string, number>();
  const refused = { total: 0, perClient: 0, loggedAt: 0 };
  const noteRefusal = (reason: 'total' | 'perClient', key: string): void => {
    refused[reason]++;
    const now = Date.now();
    if (now - refused.loggedAt < 60_000) return;
    refused.loggedAt = now;
    options.logger.warn(
      { refusedOverTotal: refused.total, refusedOverPerClient: refused.perClient, lastClient: key, maxConnections: options.maxConnections, maxConnectionsPerClient: options.maxConnectionsPerClient },
      'connections refused: over the connection limit',
    );
    refused.total = 0;
    refused.perClient = 0;
  };
  server.on('drop', (data?: { remoteAddress?: string }) => noteRefusal('total', clientKey(data?.remoteAddress)));
  server.prependListener('connection', (socket: Socket) => {
    const key = clientKey(socket.remoteAddress);
    const count = open.get(key) ?? 0;
    if (options.maxConnectionsPerClient > 0 && count >= options.maxConnectionsPerClient) {
      noteRefusal('perClient', key);
      socket.destroy();
      return;
    }
    open.set(key, count + 1);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });
  return { openFrom: (key) => open.get(key) ?? 0 };
}

import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { sniffProtocol, type Protocol } from './protocol-sniffer.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mutual TLS). */
  clientCaFile?: string;
}

export interface GatewayListener {
  server: Server;
  /** Re-reads the certificate files (SIGHUP); new connections use them, open ones keep theirs. */
  reloadTls(): void;
}

/**
 * The gateway's one listening socket. Plaintext: the first bytes tell HTTP/2
 * (gRPC) from HTTP/1. TLS: ALPN does (h2 -> gRPC, anything else -> HTTP), and
 * with a client CA every connection must present a certificate it signed.
 */
export function createGatewayListener(tls: TlsFiles | undefined, route: (protocol: Protocol, socket: Socket) => void): GatewayListener {
  if (tls === undefined) {
    return { server: createNetServer((socket) => sniffProtocol(socket, route)), reloadTls() {} };
  }
  const server = createTlsServer({
    ...readSecureContext(tls),
    ALPNProtocols: ['h2', 'http/1.1'],
    requestCert: tls.clientCaFile !== undefined,
    rejectUnauthorized: tls.clientCaFile !== undefined,
  });
  server.on('secureConnection', (socket: TLSSocket) => route(socket.alpnProtocol === 'h2' ? 'http2' : 'http1', socket));
  // A failed handshake (wrong client certificate, plaintext client) only concerns that client.
  server.on('tlsClientError', (_error, socket) => socket.destroy());
  return { server, reloadTls: () => server.setSecureContext(readSecureContext(tls)) };
}

function readSecureContext(tls: TlsFiles): SecureContextOptions {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`cannot read TLS ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  return {
    cert: read(tls.certFile, 'certificate'),
    key: read(tls.keyFile, 'key'),
    ca: tls.clientCaFile === undefined ? undefined : read(tls.clientCaFile, 'client CA'),
  };
}

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { DEFAULT_SNIFF_TIMEOUT_MS, sniffProtocol, type Protocol } from './protocol-sniffer.js';

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
export function createGatewayListener(
  tls: TlsFiles | undefined,
  route: (protocol: Protocol, socket: Socket) => void,
  /** Time a new connection has to finish its TLS handshake or show its protocol. */
  handshakeTimeoutMs = DEFAULT_SNIFF_TIMEOUT_MS,
): GatewayListener {
  if (tls === undefined) {
    return { server: createNetServer((socket) => sniffProtocol(socket, route, handshakeTimeoutMs)), reloadTls() {} };
  }
  const server = createTlsServer({
    ...readSecureContext(tls),
    handshakeTimeout: handshakeTimeoutMs,
    ALPNProtocols: ['h2', 'http/1.1'],
    requestCert: tls.clientCaFile !== undefined,
    rejectUnauthorized: tls.clientCaFile !== undefined,
  });
  server.on('secureConnection', (socket: TLSSocket) => route(socket.alpnProtocol === 'h2' ? 'http2' : 'http1', socket));
  // A failed handshake (wrong client certificate, plaintext client) only concerns that client.
  server.on('tlsClientError', (_error, socket) => socket.destroy());
  return { server, reloadTls: () => server.setSecureContext(readSecureContext(tls)) };
}

/**
 * Reads and checks the PEM files, so a bad one is reported by its flag and
 * path rather than as OpenSSL's "PEM routines::no start line".
 */
function readSecureContext(tls: TlsFiles): SecureContextOptions {
  const read = (file: string, flag: string, check: (pem: Buffer) => unknown, expected: string): Buffer => {
    let pem: Buffer;
    try {
      pem = readFileSync(file);
    } catch (error) {
      throw new Error(`${flag} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    try {
      check(pem);
    } catch {
      throw new Error(`${flag} ${file}: not ${expected}; give ${flag} a PEM file (-----BEGIN ...-----)`);
    }
    return pem;
  };
  const options: SecureContextOptions = {
    cert: read(tls.certFile, '--tls-cert', (pem) => new X509Certificate(pem), 'a PEM certificate'),
    key: read(tls.keyFile, '--tls-key', (pem) => createPrivateKey(pem), 'an unencrypted PEM private key'),
    ca: tls.clientCaFile === undefined ? undefined : read(tls.clientCaFile, '--tls-client-ca', (pem) => new X509Certificate(pem), 'a PEM CA certificate'),
  };
  try {
    createSecureContext(options);
  } catch (error) {
    throw new Error(`--tls-key ${tls.keyFile} does not go with --tls-cert ${tls.certFile} (${(error as Error).message})`);
  }
  return options;
}

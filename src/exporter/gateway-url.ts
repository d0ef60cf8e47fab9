/** https://host[:443] and host:port are TLS; http://host:port is plaintext. */
export function parseGatewayUrl(url: string): { target: string; plaintext: boolean } {
  const match = /^(?:(https?):\/\/)?([^/]+?)\/?$/.exec(url.trim());
  if (!match) throw new Error(`invalid --gateway "${url}": expected https://HOST[:PORT], HOST:PORT or http://HOST:PORT`);
  const [, scheme, hostPort] = match;
  const plaintext = scheme === 'http';
  const hasPort = /:\d+$/.test(hostPort!);
  if (!hasPort && scheme === undefined) throw new Error(`invalid --gateway "${url}": give a port or a scheme`);
  return { target: hasPort ? hostPort! : `${hostPort}:${plaintext ? 80 : 443}`, plaintext };
}

import { isIP } from 'node:net';

/**
 * Which Host headers the HTTP side answers: a defence against DNS rebinding,
 * where a page on attacker.example re-points its name at the gateway's address
 * and reads the answers with the victim's browser. Such a request always
 * carries the attacker's name, so:
 *
 * - IP literals (127.0.0.1:10080, [::1]) always pass: a browser only sends one
 *   when the page itself is on that address (the same origin);
 * - names must be listed: `allowed`, or by default the --listen host (when it
 *   is a name) and localhost; `*` turns the check off;
 * - no Host header at all (HTTP/1.0 scripts) passes.
 */
export function createHostCheck(allowed: readonly string[], listenHost: string): (host: string | undefined) => boolean {
  const names = new Set((allowed.length > 0 ? allowed : [listenHost, 'localhost']).map(normalize).filter((n) => n !== ''));
  const any = names.has('*');
  return (host) => {
    if (host === undefined || host === '' || any) return true;
    const name = hostName(host);
    if (name === undefined) return false;
    return isIP(name) !== 0 || names.has(normalize(name));
  };
}

/** The host part of a Host header value (port and IPv6 brackets removed), or undefined when malformed. */
function hostName(host: string): string | undefined {
  const value = host.trim();
  const bracketed = /^\[([0-9a-fA-F:.%]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed) return bracketed[1];
  const plain = /^([^:\s/@[\]]+)(?::\d{1,5})?$/.exec(value);
  return plain?.[1];
}

function normalize(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** Store URLs the gateway understands. Network stores keep the URL whole: their adapters read the options in it. */
export type StoreUrl =
  | { scheme: 'sqlite'; path: string }
  | { scheme: 'memory' }
  | { scheme: 'postgres'; url: string }
  | { scheme: 'nats'; url: string };

const SUPPORTED = 'sqlite:, memory:, postgres://, nats://';

export function parseStoreUrl(url: string): StoreUrl {
  if (url === 'memory:' || url === 'memory') return { scheme: 'memory' };
  if (url.startsWith('sqlite:')) {
    // sqlite:./rel/path, sqlite:/abs/path and sqlite:///abs/path all name a file.
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new Error(`store URL "${url}" names no file`);
    return { scheme: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//i.test(url)) return { scheme: 'postgres', url };
  if (/^nats:\/\//i.test(url)) return { scheme: 'nats', url };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new Error(
    scheme === undefined
      ? `store URL "${redactUrl(url)}" has no scheme; expected one of ${SUPPORTED}`
      : `unsupported store scheme "${scheme}:"; supported: ${SUPPORTED}`,
  );
}

/**
 * Splits a fan-out list "URL,URL,...". A comma only separates stores when a
 * scheme follows it, so commas inside one URL's query string stay put; a comma
 * anywhere else in a URL (a password, say) must be percent-encoded.
 */
export function splitStoreUrls(value: string): string[] {
  const urls = value
    .split(/,(?=\s*[a-z][a-z0-9+.-]*:)/i)
    .map((url) => url.trim().replace(/^,+|,+$/g, '').trim())
    .filter((url) => url !== '');
  if (urls.length === 0) throw new Error('no store URL given');
  return urls;
}

/** Query parameters that carry secrets in the URLs pg and nats.js accept. */
const SECRET_PARAMS = /^(password|pass|sslpassword|sslkey|token|nkey|creds|jwt)$/i;

/**
 * The URL without user, password or secret query parameters: the only form a
 * store URL may take in descriptions, logs and error messages.
 */
export function redactUrl(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not parseable, so we cannot tell where a secret would be: show only the scheme.
    return `${url.slice(0, url.indexOf('://') + 3)}[unparseable URL]`;
  }
  parsed.username = '';
  parsed.password = '';
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMS.test(key)) parsed.searchParams.set(key, 'redacted');
  }
  return parsed.toString();
}

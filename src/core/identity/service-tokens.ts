import { createHash, timingSafeEqual } from 'node:crypto';

/** The scope a managed service needs to record events. */
export const EVENTS_WRITE_SCOPE = 'telemetry_gateway::events::write';

/** A configured managed-service token: only its SHA-256 is ever held. */
export interface ServiceToken {
  name: string;
  sha256: Uint8Array;
  scopes: readonly string[];
}

export type TokenCheck =
  | { ok: true; token: ServiceToken }
  | { ok: false; why: 'missing' | 'malformed' | 'unknown' | 'scope' };

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Checks an `authorization` header value against the configured tokens. Every
 * configured hash is compared in constant time, and all of them are compared,
 * so timing does not reveal which (or whether any) prefix matched.
 */
export function checkBearerToken(
  authorization: string | undefined,
  tokens: readonly ServiceToken[],
  requiredScope: string,
): TokenCheck {
  if (authorization === undefined || authorization === '') return { ok: false, why: 'missing' };
  const match = BEARER.exec(authorization);
  if (match?.[1] === undefined) return { ok: false, why: 'malformed' };
  const presented = sha256(match[1]);
  let found: ServiceToken | undefined;
  for (const token of tokens) {
    if (token.sha256.length === presented.length && timingSafeEqual(token.sha256, presented)) {
      found ??= token;
    }
  }
  if (found === undefined) return { ok: false, why: 'unknown' };
  if (!found.scopes.includes(requiredScope)) return { ok: false, why: 'scope' };
  return { ok: true, token: found };
}

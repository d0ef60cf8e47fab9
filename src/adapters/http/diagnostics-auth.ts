import { timingSafeEqual, createHash } from 'node:crypto';

export type DiagnosticsAuth = 'ok' | 'malformed' | 'denied';

/**
 * Checks `Authorization: Bearer <secret>` for the diagnostics endpoints: no
 * header is unauthorized (401), another scheme malformed (400). Both
 * sides are hashed first so the comparison is constant-time whatever the lengths.
 */
export function checkDiagnosticsAuth(header: string | undefined, secret: string | undefined): DiagnosticsAuth {
  if (secret === undefined || secret === '') return 'ok';
  if (header === undefined || header === '') return 'denied';
  const match = /^Bearer (.+)$/i.exec(header);
  if (match?.[1] === undefined) return 'malformed';
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1]), digest(secret)) ? 'ok' : 'denied';
}

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { checkDiagnosticsAuth } from '../diagnostics-auth.js';

export const SESSION_COOKIE = 'tgw_dashboard';

/**
 * Dashboard access when a diagnostics secret is set: the login form trades
 * the secret for an HttpOnly, SameSite=Strict cookie holding an HMAC of the
 * secret (never the secret, never in a URL); scripts send
 * `Authorization: Bearer <secret>` as they do for /-/healthz. Changing the
 * secret signs everyone out.
 */
export function createDashboardSession(secret: string | undefined) {
  const required = secret !== undefined && secret !== '';
  const token = required ? createHmac('sha256', secret).update('telemetry-gateway dashboard session v1').digest('base64url') : '';
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  const same = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

  return {
    required,
    /** Whether the request carries the session cookie or the bearer secret. */
    allows(req: IncomingMessage): boolean {
      if (!required) return true;
      const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
      if (cookie !== undefined && same(cookie, token)) return true;
      return req.headers.authorization !== undefined && checkDiagnosticsAuth(req.headers.authorization, secret) === 'ok';
    },
    /** The Set-Cookie header for a correct secret, undefined for a wrong one. */
    login(offeredSecret: string, secure: boolean): string | undefined {
      if (!required || !same(offeredSecret, secret)) return undefined;
      return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;
    },
    logoutCookie: `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`,
  };
}

export type DashboardSession = ReturnType<typeof createDashboardSession>;

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

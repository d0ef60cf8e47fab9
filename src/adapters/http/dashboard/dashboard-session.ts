import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { bearerSecret, type SecretCheck, type SecretGuard } from '../secret-guard.js';

const SESSION_COOKIE = 'tgw_dashboard';
/** Double-submit token for the sign-in form (there is no session yet to bind it to). */
const LOGIN_CSRF_COOKIE = 'tgw_login_csrf';

export interface DashboardSessionOptions {
  guard: SecretGuard;
  /** How long a sign-in lasts. */
  ttlMs: number;
  /** Sessions kept at once; the oldest are signed out first. */
  maxSessions?: number;
  now?: () => number;
}

interface Session {
  expiresAtMs: number;
  /** Sent with the sign-out form; a cross-site page cannot read it. */
  csrfToken: string;
}

export type Access = { result: 'ok'; session: string | undefined } | { result: 'denied' | 'malformed' } | { result: 'throttled'; retryAfterSeconds: number };

/**
 * Dashboard access when a diagnostics secret is set. The sign-in form trades
 * the secret for a random session id in an HttpOnly, SameSite=Strict cookie
 * that expires (ttlMs) and dies on sign-out; the form carries a double-submit
 * token, sign-out the session's own CSRF token. Scripts send
 * `Authorization: Bearer <secret>` instead. Every check of the secret goes
 * through the guard (throttled per client, failures logged). Sessions live in
 * memory: a restart, or a new secret, signs everyone out.
 */
export function createDashboardSession(options: DashboardSessionOptions) {
  const { guard } = options;
  const required = guard.required;
  const now = options.now ?? Date.now;
  const maxSessions = options.maxSessions ?? 1000;
  const sessions = new Map<string, Session>();
  const ttlSeconds = Math.max(1, Math.floor(options.ttlMs / 1000));

  const lookup = (req: IncomingMessage): [string, Session] | undefined => {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const session = sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAtMs <= now()) {
      sessions.delete(id);
      return undefined;
    }
    return [id, session];
  };
  const cookieAttributes = (secure: boolean): string => `HttpOnly; SameSite=Strict; Path=/${secure ? '; Secure' : ''}`;

  return {
    required,
    /** Whether the request may see the dashboard: a live session cookie, or the bearer secret. */
    access(req: IncomingMessage, client: string, where: string): Access {
      if (!required) return { result: 'ok', session: undefined };
      const found = lookup(req);
      if (found) return { result: 'ok', session: found[0] };
      const offered = bearerSecret(req.headers.authorization);
      if (offered === undefined) return { result: 'denied' };
      if (offered === null) return { result: 'malformed' };
      const checked: SecretCheck = guard.check(client, offered, where);
      return checked.result === 'ok' ? { result: 'ok', session: undefined } : checked;
    },
    /** The CSRF token of the request's session (for the sign-out form), if it has one. */
    csrfToken(req: IncomingMessage): string | undefined {
      return lookup(req)?.[1].csrfToken;
    },
    /** A fresh sign-in form token and the cookie that carries its twin. */
    loginChallenge(secure: boolean): { token: string; setCookie: string } {
      const token = randomBytes(24).toString('base64url');
      return { token, setCookie: `${LOGIN_CSRF_COOKIE}=${token}; Max-Age=3600; HttpOnly; SameSite=Strict; Path=/login${secure ? '; Secure' : ''}` };
    },
    /** Whether the sign-in form's token matches its cookie. */
    loginTokenValid(req: IncomingMessage, formToken: string): boolean {
      const cookie = readCookie(req.headers.cookie, LOGIN_CSRF_COOKIE);
      return cookie !== undefined && cookie.length >= 32 && same(cookie, formToken);
    },
    /** Checks the offered secret; on success a new session and its Set-Cookie headers. */
    login(offeredSecret: string, client: string, secure: boolean): SecretCheck & { setCookies?: string[] } {
      const checked = guard.check(client, offeredSecret, '/login');
      if (checked.result !== 'ok') return checked;
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { expiresAtMs: now() + options.ttlMs, csrfToken: randomBytes(24).toString('base64url') });
      while (sessions.size > maxSessions) sessions.delete(sessions.keys().next().value!);
      return {
        result: 'ok',
        setCookies: [
          `${SESSION_COOKIE}=${id}; Max-Age=${ttlSeconds}; ${cookieAttributes(secure)}`,
          `${LOGIN_CSRF_COOKIE}=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/login`,
        ],
      };
    },
    /**
     * Ends the request's session when the form's token is its CSRF token.
     * Returns the Set-Cookie clearing the cookie, or undefined for a wrong token.
     */
    logout(req: IncomingMessage, formToken: string): string | undefined {
      const found = lookup(req);
      if (found === undefined || !same(found[1].csrfToken, formToken)) return undefined;
      sessions.delete(found[0]);
      return `${SESSION_COOKIE}=; Max-Age=0; ${cookieAttributes(false)}`;
    },
    /** Sessions open (for tests). */
    get openSessions(): number {
      return sessions.size;
    },
  };
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

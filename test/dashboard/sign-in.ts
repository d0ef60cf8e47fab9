import { request, type IncomingHttpHeaders } from 'node:http';

export interface FormAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** POSTs an urlencoded form with optional extra headers (cookie...). */
export function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<FormAnswer> {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(fields).toString();
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The sign-in form's CSRF token and the cookie carrying its twin, as a browser gets them from GET /. */
export async function loginChallenge(baseUrl: string): Promise<{ csrf: string; cookie: string }> {
  const page = await fetch(`${baseUrl}/`);
  const html = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  const cookie = page.headers.getSetCookie().find((c) => c.startsWith('tgw_login_csrf='))?.split(';')[0];
  if (csrf === undefined || cookie === undefined) throw new Error(`no sign-in challenge in GET / (${page.status})`);
  return { csrf, cookie };
}

/** Signs in as a browser would (form token + cookie); the answer to POST /login. */
export async function postLogin(baseUrl: string, secret: string): Promise<FormAnswer> {
  const { csrf, cookie } = await loginChallenge(baseUrl);
  return postForm(`${baseUrl}/login`, { secret, csrf }, { cookie });
}

/** The `name=value` part of the session cookie a successful sign-in set. */
export function sessionCookie(answer: FormAnswer): string {
  const cookie = (answer.headers['set-cookie'] ?? []).find((c) => c.startsWith('tgw_dashboard='));
  if (cookie === undefined) throw new Error(`no session cookie (status ${answer.status})`);
  return cookie.split(';')[0]!;
}

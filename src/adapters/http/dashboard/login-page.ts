/** Text for an HTML text node or attribute. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The sign-in form shown when a diagnostics secret protects the dashboard.
 * Posts the secret in the body, with the form's double-submit CSRF token.
 */
export function loginPage(error: string | undefined, csrfToken: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Telemetry gateway: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/style.css"></head>
<body class="login"><main class="login-box">
<h1>Telemetry gateway</h1>
<form method="post" action="/login">
<input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">
<label for="secret">Diagnostics secret</label>
<input id="secret" name="secret" type="password" autocomplete="current-password" autofocus required>
<button type="submit">Sign in</button>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
</form></main></body></html>
`;
}

/**
 * A short, credential-free description of a pg or socket error, with the
 * SQLSTATE when the server sent one (57P01: connection terminated by an
 * administrator, 40P01: deadlock, 53300: too many connections, ...).
 */
export function describePgError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? `${error.message} (${code})` : error.message;
}

/** The errno code of a failed read (ENOENT, EACCES...), or the message of another error. */
export function readErrorCode(error: unknown): string {
  if (error instanceof Error) return 'code' in error && typeof error.code === 'string' ? error.code : error.message;
  return String(error);
}

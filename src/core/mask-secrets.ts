/**
 * Keys whose values are credentials wherever they appear in a rendered record:
 * the stream metadata of a licensed instance carries its license key, and
 * free-form metadata may carry anything an exporter put there.
 */
const SECRET_KEY = /^(licenseKey|license_key|token|accessToken|access_token|serviceToken|password|secret|apiKey|api_key|authorization)$/i;

const MASK = '[masked]';

/**
 * A deep copy of a JSON value with every credential-named property replaced by
 * MASK, so the dashboard can show records without ever sending a secret to a browser.
 */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  const masked: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    masked[key] = SECRET_KEY.test(key) && inner !== '' ? MASK : maskSecrets(inner);
  }
  return masked;
}

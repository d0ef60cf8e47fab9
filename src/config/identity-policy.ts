import { readFileSync } from 'node:fs';
import type { IdentityPolicy } from '../core/identity/identify.js';
import type { ServiceToken } from '../core/identity/service-tokens.js';
import { parseAuthorizedKeys } from '../core/identity/vendor-keys.js';
import type { GatewayConfig } from './gateway-config.js';

/** Reads the files the identity settings name; errors say which file and why, never its secrets. */
export function loadIdentityPolicy(config: GatewayConfig): IdentityPolicy {
  return {
    vendorKeys: config.licensePublicKeyFiles.flatMap((file) => {
      try {
        return parseAuthorizedKeys(readText(file, '--license-public-key'));
      } catch (error) {
        const message = (error as Error).message;
        throw new Error(message.startsWith('--license-public-key') ? message : `--license-public-key ${file}: ${message}`);
      }
    }),
    rejectExpiredLicenses: config.rejectExpiredLicenses,
    revokedLicenseSignatures: new Set(
      config.revokedLicensesFile === undefined ? [] : parseRevocationList(readText(config.revokedLicensesFile, '--revoked-licenses')),
    ),
    unlicensed: config.unlicensed,
    serviceTokens: config.serviceTokensFile === undefined ? [] : parseServiceTokens(readText(config.serviceTokensFile, '--service-tokens'), config.serviceTokensFile),
  };
}

/** Reads a file a flag names; the error says which flag, which file, and why. */
function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory, not a file' : (code ?? (error as Error).message);
    throw new Error(`${flag} ${path}: cannot read it (${why}); check the path given to ${flag}`);
  }
}

export function parseRevocationList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim().toLowerCase())
    .filter((line) => line !== '');
}

/** Parses the tokens file: a JSON array of {"name", "sha256" (hex), "scopes"}; plaintext tokens are refused. */
export function parseServiceTokens(text: string, file: string): ServiceToken[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`--service-tokens ${file}: not valid JSON`);
  }
  if (!Array.isArray(parsed)) throw new Error(`--service-tokens ${file}: expected a JSON array of tokens`);
  return parsed.map((entry: unknown, i) => {
    const e = entry as { name?: unknown; sha256?: unknown; scopes?: unknown };
    const where = `--service-tokens ${file}: entry ${i}`;
    if (typeof e?.name !== 'string' || e.name === '') throw new Error(`${where}: "name" must be a non-empty string`);
    if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(e.sha256)) {
      throw new Error(`${where} (${e.name}): "sha256" must be the 64-hex-digit SHA-256 of the token, not the token`);
    }
    if (!Array.isArray(e.scopes) || !e.scopes.every((s) => typeof s === 'string')) {
      throw new Error(`${where} (${e.name}): "scopes" must be an array of strings`);
    }
    return { name: e.name, sha256: Buffer.from(e.sha256, 'hex'), scopes: e.scopes as string[] };
  });
}

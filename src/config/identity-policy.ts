import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { IdentityPolicy } from '../core/identity/identify.js';
import type { ServiceToken } from '../core/identity/service-tokens.js';
import { parseAuthorizedKeys } from '../core/identity/vendor-keys.js';
import type { GatewayConfig } from './gateway-config.js';
import { readErrorCode } from './read-error.js';

/** Reads the files the identity settings name; errors say which file and why, never its secrets. */
export function loadIdentityPolicy(config: GatewayConfig): IdentityPolicy {
  return {
    vendorKeys: config.licensePublicKeyFiles.flatMap((file) => {
      try {
        return parseAuthorizedKeys(readText(file, '--license-public-key'));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
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
    const code = readErrorCode(error);
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory, not a file' : code;
    throw new Error(`${flag} ${path}: cannot read it (${why}); check the path given to ${flag}`);
  }
}

function parseRevocationList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim().toLowerCase())
    .filter((line) => line !== '');
}

// One schema per field, checked in order, so the message names the first bad field of an entry.
const TOKEN_NAME = z.object({ name: z.string().min(1) });
const TOKEN_SHA256 = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/i) });
const TOKEN_SCOPES = z.object({ scopes: z.array(z.string()) });

/** Parses the tokens file: a JSON array of {"name", "sha256" (hex), "scopes"}; plaintext tokens are refused. */
function parseServiceTokens(text: string, file: string): ServiceToken[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`--service-tokens ${file}: not valid JSON`);
  }
  if (!Array.isArray(parsed)) throw new Error(`--service-tokens ${file}: expected a JSON array of tokens`);
  return parsed.map((entry: unknown, i) => {
    const where = `--service-tokens ${file}: entry ${i}`;
    const name = TOKEN_NAME.safeParse(entry);
    if (!name.success) throw new Error(`${where}: "name" must be a non-empty string`);
    const sha256 = TOKEN_SHA256.safeParse(entry);
    if (!sha256.success) throw new Error(`${where} (${name.data.name}): "sha256" must be the 64-hex-digit SHA-256 of the token, not the token`);
    const scopes = TOKEN_SCOPES.safeParse(entry);
    if (!scopes.success) throw new Error(`${where} (${name.data.name}): "scopes" must be an array of strings`);
    return { name: name.data.name, sha256: Buffer.from(sha256.data.sha256, 'hex'), scopes: scopes.data.scopes };
  });
}

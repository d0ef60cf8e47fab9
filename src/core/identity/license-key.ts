import { Buffer } from 'node:buffer';
import { createHash, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { VendorPublicKey } from './vendor-keys.js';

/** What a license grants: the signed "info" of a license key (BEHAVIOR.md 4). */
export interface LicenseInfo {
  version: number;
  nonce: number[];
  tags: string[];
  userCount: number;
  createdAt: string;
  expiresAt: string;
  salesforceSubscriptionId?: string;
  salesforceOpportunityId?: string;
}

export interface DecodedLicenseKey {
  info: LicenseInfo;
  /** The exact bytes the signature covers. */
  infoBytes: Uint8Array;
  signature: { format: string; blob: Uint8Array; rest: Uint8Array | null };
  /** Hex SHA-256 of the signature blob: identifies a key without revealing it (revocation lists, logs). */
  signatureSha256: string;
}

/** A license key that cannot be used. The message is a fixed phrase: it never contains any of the key. */
export class LicenseKeyError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'LicenseKeyError';
  }
}

/** Go's unicode.IsSpace, which the deployed parser strips with: JS \s plus U+0085 (NEL). */
const WHITESPACE = /[\s\u0085]/gu;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
/** Go's zero time.Time, which v1/v2 keys carry as their creation time. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function base64Field(value: unknown, reason: string): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new LicenseKeyError(reason);
  return Buffer.from(value, 'base64');
}

/**
 * Decodes a license key without checking its signature: whitespace removed (keys get wrapped
 * in e-mails), then base64url JSON {"sig": SSH signature, "info": base64 of the signed info JSON}.
 */
export function decodeLicenseKey(key: string): DecodedLicenseKey {
  const compact = key.replace(WHITESPACE, '');
  if (!BASE64URL.test(compact)) throw new LicenseKeyError('malformed key encoding');
  let outer: { sig?: unknown; info?: unknown } | null;
  try {
    outer = JSON.parse(Buffer.from(compact, 'base64url').toString('utf8'));
  } catch {
    throw new LicenseKeyError('malformed key JSON');
  }
  if (outer === null || typeof outer !== 'object') throw new LicenseKeyError('malformed key JSON');
  const sig = outer.sig as { Format?: unknown; Blob?: unknown; Rest?: unknown } | null | undefined;
  if (sig === null || typeof sig !== 'object' || typeof sig.Format !== 'string') throw new LicenseKeyError('missing signature');
  const blob = base64Field(sig.Blob, 'malformed signature');
  const rest = sig.Rest === null || sig.Rest === undefined ? null : base64Field(sig.Rest, 'malformed signature');
  const infoBytes = base64Field(outer.info, 'malformed info');
  return {
    info: parseInfo(infoBytes),
    infoBytes,
    signature: { format: sig.Format, blob, rest },
    signatureSha256: createHash('sha256').update(blob).digest('hex'),
  };
}

/** Field types as Go's decoder enforces them; "c" is absent from keys made before it existed. */
function parseInfo(bytes: Uint8Array): LicenseInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new LicenseKeyError('malformed info');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new LicenseKeyError('malformed info');
  const { v, n, t, u, c, e, sf_sub_id: subscription, sf_opp_id: opportunity } = raw as Record<string, unknown>;
  const isTime = (value: unknown): value is string => typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value));
  const isOptionalString = (value: unknown) => value === undefined || value === null || typeof value === 'string';
  const valid =
    Number.isSafeInteger(v) &&
    Array.isArray(n) && n.every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 255) &&
    (t === null || t === undefined || (Array.isArray(t) && t.every((tag) => typeof tag === 'string'))) &&
    Number.isSafeInteger(u) && (u as number) >= 0 &&
    (c === undefined || c === null || isTime(c)) &&
    isTime(e) &&
    isOptionalString(subscription) && isOptionalString(opportunity);
  if (!valid) throw new LicenseKeyError('malformed info');
  const info: LicenseInfo = {
    version: v as number,
    nonce: n as number[],
    tags: (t as string[] | null | undefined) ?? [],
    userCount: u as number,
    createdAt: typeof c === 'string' ? c : ZERO_TIME,
    expiresAt: e as string,
  };
  if (typeof subscription === 'string') info.salesforceSubscriptionId = subscription;
  if (typeof opportunity === 'string') info.salesforceOpportunityId = opportunity;
  return info;
}

export type LicenseVerification =
  | { ok: true; key: DecodedLicenseKey; vendorKeyFingerprint: string }
  | { ok: false; reason: string };

/** Which digest each SSH signature format uses, and which key type may make it (x/crypto/ssh's rules). */
const SIGNATURE_FORMATS: Record<string, { keyType: VendorPublicKey['type']; digest: string | null }> = {
  'ssh-rsa': { keyType: 'ssh-rsa', digest: 'sha1' },
  'rsa-sha2-256': { keyType: 'ssh-rsa', digest: 'sha256' },
  'rsa-sha2-512': { keyType: 'ssh-rsa', digest: 'sha512' },
  'ssh-ed25519': { keyType: 'ssh-ed25519', digest: null },
};

/** Decodes a key and checks its signature against each vendor key; never throws for bad input. */
export function verifyLicenseKey(key: string, vendorKeys: readonly VendorPublicKey[]): LicenseVerification {
  let decoded: DecodedLicenseKey;
  try {
    decoded = decodeLicenseKey(key);
  } catch (error) {
    return { ok: false, reason: error instanceof LicenseKeyError ? error.message : 'malformed key' };
  }
  const format = SIGNATURE_FORMATS[decoded.signature.format];
  if (format === undefined) return { ok: false, reason: 'unsupported signature format' };
  if (vendorKeys.length === 0) return { ok: false, reason: 'no vendor public keys configured' };
  for (const vendorKey of vendorKeys) {
    if (vendorKey.type !== format.keyType) continue;
    const blob = format.keyType === 'ssh-rsa' ? padRsaSignature(decoded.signature.blob, vendorKey.key) : decoded.signature.blob;
    let valid = false;
    try {
      valid = verify(format.digest, decoded.infoBytes, vendorKey.key, blob);
    } catch {
      valid = false;
    }
    if (valid) return { ok: true, key: decoded, vendorKeyFingerprint: vendorKey.fingerprint };
  }
  return { ok: false, reason: 'signature does not verify against any configured vendor key' };
}

/**
 * Some SSH signers drop an RSA signature's leading zero bytes. x/crypto/ssh pads them back
 * before verifying and OpenSSL does not, so without this we would refuse keys Go accepts.
 */
function padRsaSignature(blob: Uint8Array, key: KeyObject): Uint8Array {
  const size = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (blob.length >= size) return blob;
  const padded = new Uint8Array(size);
  padded.set(blob, size - blob.length);
  return padded;
}

/** Whether the license's expiry is before `now`; an unreadable expiry counts as expired. */
export function isLicenseExpired(info: LicenseInfo, now: Date): boolean {
  const expires = Date.parse(info.expiresAt);
  return Number.isNaN(expires) || expires < now.getTime();
}

export interface IssueLicenseOptions {
  tags?: string[];
  userCount: number;
  expiresAt: Date;
  /** Default: now. */
  createdAt?: Date;
  salesforceSubscriptionId?: string;
  salesforceOpportunityId?: string;
  /** 8 bytes. Default: random. */
  nonce?: Uint8Array;
}

/** Go's time.Time JSON: RFC 3339 in UTC, fractional seconds only when non-zero, trailing zeros trimmed. */
function goTime(date: Date, what: string): string {
  const year = date.getUTCFullYear();
  // Go's MarshalJSON refuses years outside 0-9999; toISOString would write them as "+010000".
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) throw new RangeError(`${what} must be a date in years 0-9999`);
  return date.toISOString().replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/**
 * JSON as Go's encoding/json writes it, so info bytes match Go-made ones: it also escapes <, >, &,
 * U+2028 and U+2029, and writes invalid UTF-16 (lone surrogates) as U+FFFD.
 */
function goJson(value: unknown): string {
  const wellFormed = (_key: string, v: unknown) => (typeof v === 'string' ? v.replace(/\p{Cs}/gu, '\uFFFD') : v);
  return JSON.stringify(value, wellFormed).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Mints a format-3 license key, signed rsa-sha2-512 (RSA keys) or ssh-ed25519. */
export function issueLicenseKey(privateKey: KeyObject, options: IssueLicenseOptions): string {
  const isRsa = privateKey.asymmetricKeyType === 'rsa';
  if (privateKey.type !== 'private' || (!isRsa && privateKey.asymmetricKeyType !== 'ed25519')) {
    throw new TypeError('the vendor key must be an RSA or Ed25519 private key');
  }
  const nonce = options.nonce ?? randomBytes(8);
  if (nonce.length !== 8) throw new RangeError('nonce must be 8 bytes');
  if (!Number.isSafeInteger(options.userCount) || options.userCount < 0) throw new RangeError('userCount must be a non-negative integer');
  // Field order is Go's struct order; it is part of the signed bytes.
  const info: Record<string, unknown> = {
    v: 3,
    n: [...nonce],
    t: options.tags ?? [],
    u: options.userCount,
    c: goTime(options.createdAt ?? new Date(), 'createdAt'),
    e: goTime(options.expiresAt, 'expiresAt'),
  };
  if (options.salesforceSubscriptionId !== undefined) info.sf_sub_id = options.salesforceSubscriptionId;
  if (options.salesforceOpportunityId !== undefined) info.sf_opp_id = options.salesforceOpportunityId;
  const infoBytes = Buffer.from(goJson(info), 'utf8');
  const blob = sign(isRsa ? 'sha512' : null, infoBytes, privateKey);
  const outer = {
    sig: { Format: isRsa ? 'rsa-sha2-512' : 'ssh-ed25519', Blob: blob.toString('base64'), Rest: null },
    info: infoBytes.toString('base64'),
  };
  return Buffer.from(goJson(outer), 'utf8').toString('base64url');
}

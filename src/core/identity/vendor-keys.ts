import { Buffer } from 'node:buffer';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { SshWireReader, sshMpint, sshString } from './ssh-wire.js';

export type VendorKeyType = 'ssh-rsa' | 'ssh-ed25519';

/** A vendor public key that license keys are verified against. */
export interface VendorPublicKey {
  type: VendorKeyType;
  comment: string;
  /** As `ssh-keygen -l` prints it: "SHA256:" + unpadded base64 of the SHA-256 of the key blob. */
  fingerprint: string;
  key: KeyObject;
}

/** Go's crypto/rsa refuses smaller keys (Go 1.24), so a license signed with one would not verify there. */
const MIN_RSA_BITS = 1024;

/** Other OpenSSH key types, named in errors so the operator sees what they gave us. */
const KNOWN_UNSUPPORTED_TYPE = /^(ssh-dss|ecdsa-sha2-nistp\d+|sk-[a-z0-9-]+@openssh\.com|[a-z0-9-]+-cert-v01@openssh\.com)$/;

const fingerprintOf = (blob: Uint8Array): string =>
  `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;

const base64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/**
 * Parses OpenSSH `authorized_keys` text: one key per line, blank lines and # comments skipped.
 * Errors name the line but never echo it: a private key pasted by mistake must not reach a log.
 */
export function parseAuthorizedKeys(text: string): VendorPublicKey[] {
  const keys: VendorPublicKey[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      keys.push(parseKeyLine(line));
    } catch (error) {
      throw new Error(`line ${index + 1}: ${(error as Error).message}`);
    }
  });
  return keys;
}

function parseKeyLine(line: string): VendorPublicKey {
  if (/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(line)) throw new Error('this is a private key; configure the public key (authorized_keys line)');
  const [type = '', data = '', ...comment] = line.split(/\s+/);
  if (type !== 'ssh-rsa' && type !== 'ssh-ed25519') {
    if (KNOWN_UNSUPPORTED_TYPE.test(type)) throw new Error(`unsupported key type "${type}" (supported: ssh-rsa, ssh-ed25519)`);
    throw new Error('not an authorized_keys line ("ssh-rsa|ssh-ed25519 <base64 key> [comment]"; options are not supported)');
  }
  const blob = Buffer.from(data, 'base64');
  if (data === '' || blob.toString('base64') !== data) throw new Error('key data is not base64');
  const reader = new SshWireReader(blob);
  try {
    const blobType = reader.text();
    if (blobType !== type) throw new Error(`key data is of type "${blobType.slice(0, 40)}", not "${type}"`);
    const jwk = type === 'ssh-rsa' ? rsaPublicJwk(reader) : ed25519PublicJwk(reader);
    if (!reader.done) throw new Error('trailing bytes after the key');
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    return { type, comment: comment.join(' '), fingerprint: fingerprintOf(blob), key };
  } catch (error) {
    throw new Error(`invalid ${type} key: ${(error as Error).message}`);
  }
}

/** The same limits as Go's x/crypto/ssh parseRSA, so we accept exactly the keys deployed gateways accept. */
function rsaPublicJwk(reader: SshWireReader): JsonWebKey {
  const e = reader.unsignedMpint();
  const n = reader.unsignedMpint();
  if (e.length > 3) throw new Error('exponent too large');
  const exponent = e.reduce((value, byte) => value * 256 + byte, 0);
  if (exponent < 3 || exponent % 2 === 0) throw new Error('incorrect exponent');
  const bits = n.length * 8 - Math.clz32(n[0] ?? 0) + 24;
  if (bits < MIN_RSA_BITS) throw new Error(`${bits}-bit modulus is too small (minimum ${MIN_RSA_BITS})`);
  return { kty: 'RSA', e: base64url(e), n: base64url(n) };
}

function ed25519PublicJwk(reader: SshWireReader): JsonWebKey {
  const x = reader.string();
  if (x.length !== 32) throw new Error('Ed25519 public key is not 32 bytes');
  return { kty: 'OKP', crv: 'Ed25519', x: base64url(x) };
}

/** The OpenSSH wire blob of a public key. */
function publicKeyBlob(key: KeyObject): { type: VendorKeyType; blob: Buffer } {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'RSA' && jwk.n && jwk.e) {
    const blob = Buffer.concat([
      sshString('ssh-rsa'),
      sshMpint(Buffer.from(jwk.e, 'base64url')),
      sshMpint(Buffer.from(jwk.n, 'base64url')),
    ]);
    return { type: 'ssh-rsa', blob };
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x) {
    return { type: 'ssh-ed25519', blob: Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(jwk.x, 'base64url'))]) };
  }
  throw new Error('only RSA and Ed25519 vendor keys are supported');
}

/** A new vendor key pair: PKCS#8 PEM private key and an authorized_keys line. RSA keys are 3072-bit. */
export function generateVendorKeyPair(
  type: 'ed25519' | 'rsa',
  comment = 'telemetry-gateway vendor key',
): { privateKeyPem: string; publicKeyLine: string; fingerprint: string } {
  const { privateKey, publicKey } =
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 3072 }) : generateKeyPairSync('ed25519');
  const { type: sshType, blob } = publicKeyBlob(publicKey);
  // A line break in the comment would split the authorized_keys line in two.
  const oneLineComment = comment.replace(/\s+/gu, ' ').trim();
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyLine: `${sshType} ${blob.toString('base64')} ${oneLineComment}`.trim(),
    fingerprint: fingerprintOf(blob),
  };
}

/**
 * Reads a vendor private key from PEM: PKCS#8, PKCS#1, or an unencrypted OpenSSH private key
 * (what ssh-keygen writes by default, and what existing vendor keys are likely to be).
 * Only RSA and Ed25519 keys are accepted. Errors never include the key text.
 */
export function parseVendorPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  if (pem.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) {
    key = parseOpenSshPrivateKey(pem);
  } else {
    if (/ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(pem)) throw new Error('encrypted private keys are not supported: remove the passphrase first');
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch {
      throw new Error('not a PEM private key (PKCS#8, PKCS#1 or OpenSSH)');
    }
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`unsupported private key type ${key.asymmetricKeyType}: use RSA or Ed25519`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_BITS) throw new Error(`${bits}-bit RSA key is too small (minimum ${MIN_RSA_BITS})`);
  return key;
}

const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

/** The "openssh-key-v1" container (OpenSSH's PROTOCOL.key); node:crypto cannot read it itself. */
function parseOpenSshPrivateKey(pem: string): KeyObject {
  const body = Buffer.from(pem.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '').replace(/\s/g, ''), 'base64');
  if (!body.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) throw new Error('not an OpenSSH private key');
  try {
    const reader = new SshWireReader(body.subarray(OPENSSH_MAGIC.length));
    const cipher = reader.text();
    const kdf = reader.text();
    reader.string(); // KDF options
    if (cipher !== 'none' || kdf !== 'none') {
      throw new Error("encrypted OpenSSH private keys are not supported: remove the passphrase first (ssh-keygen -p -N '' -f FILE)");
    }
    if (reader.uint32() !== 1) throw new Error('OpenSSH private key files holding several keys are not supported');
    reader.string(); // the public key, repeated in the private section
    const secret = new SshWireReader(reader.string());
    if (secret.uint32() !== secret.uint32()) throw new Error('corrupt OpenSSH private key');
    const type = secret.text();
    if (type === 'ssh-ed25519') return createPrivateKey({ key: ed25519PrivateJwk(secret), format: 'jwk' });
    if (type === 'ssh-rsa') return createPrivateKey({ key: rsaPrivateJwk(secret), format: 'jwk' });
    throw new Error(`unsupported private key type ${type.slice(0, 40)}: use RSA or Ed25519`);
  } catch (error) {
    throw new Error(`invalid OpenSSH private key: ${(error as Error).message}`);
  }
}

function ed25519PrivateJwk(secret: SshWireReader): JsonWebKey {
  const x = secret.string();
  const seedAndPublic = secret.string();
  if (x.length !== 32 || seedAndPublic.length !== 64) throw new Error('Ed25519 key of the wrong length');
  return { kty: 'OKP', crv: 'Ed25519', x: base64url(x), d: base64url(seedAndPublic.subarray(0, 32)) };
}

/** OpenSSH stores n, e, d, q^-1 mod p, p, q; JWK also wants the CRT exponents, derived here. */
function rsaPrivateJwk(secret: SshWireReader): JsonWebKey {
  const n = secret.unsignedMpint();
  const e = secret.unsignedMpint();
  const d = secret.unsignedMpint();
  const qi = secret.unsignedMpint();
  const p = secret.unsignedMpint();
  const q = secret.unsignedMpint();
  const big = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  const bytesOf = (value: bigint): Buffer => {
    const hex = value.toString(16);
    return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
  };
  const dp = bytesOf(big(d) % (big(p) - 1n));
  const dq = bytesOf(big(d) % (big(q) - 1n));
  const [nB, eB, dB, pB, qB, dpB, dqB, qiB] = [n, e, d, p, q, dp, dq, qi].map(base64url);
  return { kty: 'RSA', n: nB, e: eB, d: dB, p: pB, q: qB, dp: dpB, dq: dqB, qi: qiB };
}

import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  decodeLicenseKey,
  isLicenseExpired,
  issueLicenseKey,
  LicenseKeyError,
  verifyLicenseKey,
  type LicenseVerification,
} from '../../src/core/identity/license-key.js';
import { sshMpint, sshString } from '../../src/core/identity/ssh-wire.js';
import { generateVendorKeyPair, parseAuthorizedKeys, parseVendorPrivateKey } from '../../src/core/identity/vendor-keys.js';

// Vectors made with Go's x/crypto/ssh (a copy of the shared test data; see test/vectors.test.ts).
const LICENSE = new URL('../vectors/license/', import.meta.url);
const vector = (name: string): string => readFileSync(new URL(name, LICENSE), 'utf8');
const RSA_PUB = parseAuthorizedKeys(vector('vendor_rsa.pub'));
const ED25519_PUB = parseAuthorizedKeys(vector('vendor_ed25519.pub'));
const BOTH = [...RSA_PUB, ...ED25519_PUB];
// Fingerprints here are what `ssh-keygen -lf` prints for the same keys.
const RSA_FINGERPRINT = 'SHA256:Juj3Wsxc6UJf+wbEURfpeuRMpm2PlRx02EUJTFSOgzE';
const ED25519_FINGERPRINT = 'SHA256:d4Mb6gh0CKN11kkhYNxRsBh3703axwkqfcsYwg5TW18';

// Made with ssh-keygen (OpenSSH format) for these tests only; they sign nothing else.
const OPENSSH_ED25519_PRIVATE = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACAZMe6rIbGXZNWBflk3U+4HckAvXlTXGtCoVXdbn5mD+AAAAJiIF4CYiBeA
mAAAAAtzc2gtZWQyNTUxOQAAACAZMe6rIbGXZNWBflk3U+4HckAvXlTXGtCoVXdbn5mD+A
AAAEAfuu8lpKuXQ1xVGzLmZB6a/W006Oy0gaH47gg4tTTKWhkx7qshsZdk1YF+WTdT7gdy
QC9eVNca0KhVd1ufmYP4AAAAEXRlc3Qtb25seSBlZDI1NTE5AQIDBA==
-----END OPENSSH PRIVATE KEY-----
`;
const OPENSSH_ED25519_PUBLIC = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBkx7qshsZdk1YF+WTdT7gdyQC9eVNca0KhVd1ufmYP4 test-only ed25519';
const OPENSSH_RSA_PRIVATE = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAlwAAAAdzc2gtcn
NhAAAAAwEAAQAAAIEAntpvH1ZqLRisZgsryj1sAvh0LsGaL3LUerX18OdCXEQfZamM6l+f
Y2vpUIENxDkSFZ3TD2aGJG4oKZ7XmI5kRB6k6pk0xvU79iCrykWPzV/7RPVR9e3WzoaRBn
lkBwsFyO9+mv+xzBPYm6ZSrvg4WCoQZlf1U+Y2c0dhBRSvAc8AAAIIE1v3VBNb91QAAAAH
c3NoLXJzYQAAAIEAntpvH1ZqLRisZgsryj1sAvh0LsGaL3LUerX18OdCXEQfZamM6l+fY2
vpUIENxDkSFZ3TD2aGJG4oKZ7XmI5kRB6k6pk0xvU79iCrykWPzV/7RPVR9e3WzoaRBnlk
BwsFyO9+mv+xzBPYm6ZSrvg4WCoQZlf1U+Y2c0dhBRSvAc8AAAADAQABAAAAgDNksjzuRU
2vxN8C0DkPJCnV3ijeZBbjzNCinB5Dg5m8RHgsobWWGEgfOo3cIusQF8S8mfNKlS2mIgJN
LK1jrBZHXz48HiokvDqlOg6giLBL/Fok4yF5AbagPt8jiqdc920stPwywpT8ONrZUg6zRX
usi2jVd81FV8rUyv4OKOYpAAAAQQDLzH7ZvweqC9a1Z+xrhAy8EcPPHKyrKV428H5r3uob
DTvshMSHpfWik+N9mT9IBx6IaaZA/VK8AHeIi5topVrOAAAAQQDM0MR/uu85M90R4Aa2E2
TIhQAJK0KyAOf/mpg2N2qgaeu1DnWw3QZk2Ph9EBuvRzhYVOWKZEv2AzfByu28G2MtAAAA
QQDGjTIxbOuuevmi6IytmBiCo5SbPddYPiyIB/s39dJINpZ2W7S8ONrNjyhFtPxubcAWCF
9JpypVrelzCwocf4ZrAAAADXRlc3Qtb25seSByc2EBAgMEBQ==
-----END OPENSSH PRIVATE KEY-----
`;
const OPENSSH_RSA_PUBLIC =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCe2m8fVmotGKxmCyvKPWwC+HQuwZovctR6tfXw50JcRB9lqYzqX59ja+lQgQ3EORIVndMPZoYkbigpnteYjmREHqTqmTTG9Tv2IKvKRY/NX/tE9VH17dbOhpEGeWQHCwXI736a/7HME9ibplKu+DhYKhBmV/VT5jZzR2EFFK8Bzw== test-only rsa';
const OPENSSH_ENCRYPTED_PRIVATE = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABABh3xBlc
WBKNPRk1nvy08TAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIPKqzVbEq1+D8hSM
yE6suI9Qw4PJZapcM+jn7StOeoR/AAAAkEQ/ASs5ZWBLmB8G92xDP0LGCp/oxPfkqKK1H2
GaS7//1gpk2BTK3dpbTKT1e3pX79y4sCJA5Xahm7Os8iBdUcj2jHrn7MxKYKJPQpbXCAjQ
sTET1zNSlWogZCIVQGxdFiGzjPsbfm7IFYqXWIFI2enxuemisSLMSGVYH8sp488/AM7ytt
03rccdLw8vx+YEVQ==
-----END OPENSSH PRIVATE KEY-----
`;
const ECDSA_LINE =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHtsdhCPDEWEGJ97Nk3BeZDbKyGAKOWC7cNWQXbgHRHL8wDsiazaVYai5IaQmWjxZCXzeiX6dnNi+ruqe99070g= ecdsa';

const VALID: Array<{ file: string; signer: 'rsa' | 'ed25519'; format: string }> = [
  { file: 'valid-ssh-rsa.key', signer: 'rsa', format: 'ssh-rsa' },
  { file: 'valid-rsa-sha2-256.key', signer: 'rsa', format: 'rsa-sha2-256' },
  { file: 'valid-rsa-sha2-512-expired.key', signer: 'rsa', format: 'rsa-sha2-512' },
  { file: 'valid-ssh-rsa-v1.key', signer: 'rsa', format: 'ssh-rsa' },
  { file: 'valid-ssh-rsa-wrapped.key', signer: 'rsa', format: 'ssh-rsa' },
  { file: 'valid-ed25519.key', signer: 'ed25519', format: 'ssh-ed25519' },
];
const INVALID = ['invalid-tampered-info.key', 'invalid-other-vendor.key', 'invalid-truncated.key', 'invalid-garbage.key'];

function assertVerified(result: LicenseVerification): Extract<LicenseVerification, { ok: true }> {
  assert.ok(result.ok, `expected a verified key, got: ${result.ok ? '' : result.reason}`);
  return result;
}

function assertRefused(result: LicenseVerification, keyText: string): string {
  assert.equal(result.ok, false);
  const { reason } = result as Extract<LicenseVerification, { ok: false }>;
  assert.ok(reason.length > 0);
  assertNoFragmentOf(keyText, reason);
  return reason;
}

function assertNoFragmentOf(keyText: string, message: string): void {
  for (const text of [keyText, keyText.replace(/\s/gu, '')]) {
    for (let i = 0; i + 8 <= text.length; i++) {
      assert.ok(!message.includes(text.slice(i, i + 8)), `"${message}" contains part of the key`);
    }
  }
}

/** Rewrites a key's outer JSON, to forge variants of a valid key. */
function rewrite(key: string, change: (outer: { sig: { Format: string; Blob: string; Rest: null }; info: string }) => void): string {
  const outer = JSON.parse(Buffer.from(key.replace(/\s/gu, ''), 'base64url').toString('utf8'));
  change(outer);
  return Buffer.from(JSON.stringify(outer)).toString('base64url');
}

const outerJson = (key: string): string => Buffer.from(key.replace(/\s/gu, ''), 'base64url').toString('utf8');

describe('license key vectors from Go', () => {
  for (const { file, signer, format } of VALID) {
    it(`${file} verifies against vendor_${signer}.pub only`, () => {
      const text = vector(file);
      const [own, other] = signer === 'rsa' ? [RSA_PUB, ED25519_PUB] : [ED25519_PUB, RSA_PUB];
      const verified = assertVerified(verifyLicenseKey(text, own));
      assert.equal(verified.key.signature.format, format);
      assert.equal(verified.vendorKeyFingerprint, signer === 'rsa' ? RSA_FINGERPRINT : ED25519_FINGERPRINT);
      assert.equal(assertRefused(verifyLicenseKey(text, other), text), 'signature does not verify against any configured vendor key');
      assert.equal(assertVerified(verifyLicenseKey(text, BOTH)).vendorKeyFingerprint, verified.vendorKeyFingerprint);
    });
  }

  it('reads the info of valid-ssh-rsa.key', () => {
    const { info, signatureSha256 } = decodeLicenseKey(vector('valid-ssh-rsa.key'));
    assert.deepEqual(info, {
      version: 3,
      nonce: [100, 113, 130, 25, 248, 70, 182, 201],
      tags: ['dev', 'plan:enterprise-1'],
      userCount: 250,
      createdAt: '2024-01-01T00:00:00Z',
      expiresAt: '2031-01-01T00:00:00Z',
      salesforceSubscriptionId: 'sub-heldout',
    });
    assert.match(signatureSha256, /^[0-9a-f]{64}$/);
    assert.equal(decodeLicenseKey(vector('valid-ssh-rsa-wrapped.key')).signatureSha256, signatureSha256);
  });

  it('reads a format-1 key, which has no creation time', () => {
    const { info } = decodeLicenseKey(vector('valid-ssh-rsa-v1.key'));
    assert.equal(info.version, 1);
    assert.deepEqual(info.tags, []);
    assert.equal(info.userCount, 100);
    assert.equal(info.createdAt, '0001-01-01T00:00:00Z');
    assert.equal(info.expiresAt, '2030-01-01T00:00:00Z');
    assert.equal(info.salesforceSubscriptionId, undefined);
  });

  it('reads an expired key, expired now but not in 2019', () => {
    const { info } = decodeLicenseKey(vector('valid-rsa-sha2-512-expired.key'));
    assert.deepEqual(info.tags, ['trial']);
    assert.equal(info.expiresAt, '2020-06-01T00:00:00Z');
    assert.equal(isLicenseExpired(info, new Date()), true);
    assert.equal(isLicenseExpired(info, new Date('2019-06-01T00:00:00Z')), false);
    assert.equal(isLicenseExpired(info, new Date('2020-06-01T00:00:00Z')), false);
    assert.equal(isLicenseExpired(info, new Date('2020-06-01T00:00:00.001Z')), true);
    assert.equal(isLicenseExpired(decodeLicenseKey(vector('valid-ssh-rsa.key')).info, new Date()), false);
  });

  for (const file of INVALID) {
    it(`${file} is refused by both vendor keys, with a reason free of the key`, () => {
      const text = vector(file);
      for (const keys of [RSA_PUB, ED25519_PUB, BOTH]) assertRefused(verifyLicenseKey(text, keys), text);
    });
  }

  it('refuses the tampered and other-vendor keys for their signature, and the broken ones as malformed', () => {
    const reason = (file: string) => {
      const result = verifyLicenseKey(vector(file), BOTH);
      return result.ok ? 'ok' : result.reason;
    };
    assert.equal(reason('invalid-tampered-info.key'), 'signature does not verify against any configured vendor key');
    assert.equal(reason('invalid-other-vendor.key'), 'signature does not verify against any configured vendor key');
    assert.match(reason('invalid-truncated.key'), /^malformed key/);
    assert.match(reason('invalid-garbage.key'), /^malformed key/);
    assert.throws(() => decodeLicenseKey(vector('invalid-garbage.key')), LicenseKeyError);
  });
});

describe('decoding', () => {
  it('ignores whitespace anywhere, including Unicode spaces', () => {
    const compact = vector('valid-ssh-rsa.key').trim();
    const spaces = [' ', '\t', '\n', '\r\n', '\u2003', '\u00a0', '\u0085'];
    let spaced = ' \n';
    for (let i = 0; i < compact.length; i++) spaced += compact[i] + (i % 3 === 0 ? spaces[i % spaces.length]! : '');
    assertVerified(verifyLicenseKey(`${spaced}\u2003\n`, RSA_PUB));
  });

  it('names what is wrong with a malformed key in a fixed phrase', () => {
    const encode = (text: string) => Buffer.from(text).toString('base64url');
    const info = Buffer.from('{"v":3,"n":[1,2,3,4,5,6,7,8],"t":null,"u":1,"e":"2030-01-01T00:00:00Z"}').toString('base64');
    const sig = { Format: 'ssh-ed25519', Blob: Buffer.alloc(64).toString('base64'), Rest: null };
    const cases: Array<[string, string]> = [
      ['', 'malformed key encoding'],
      [`${encode('{"sig":{}}')}==`, 'malformed key encoding'],
      [encode('not json'), 'malformed key JSON'],
      [encode('[]'), 'missing signature'],
      [encode(JSON.stringify({ info })), 'missing signature'],
      [encode(JSON.stringify({ sig: { ...sig, Blob: 'not base64!' }, info })), 'malformed signature'],
      [encode(JSON.stringify({ sig })), 'malformed info'],
      [encode(JSON.stringify({ sig, info: Buffer.from('{"v":3}').toString('base64') })), 'malformed info'],
      [encode(JSON.stringify({ sig, info: Buffer.from('{"v":3,"n":[],"u":1,"e":"tomorrow"}').toString('base64') })), 'malformed info'],
      [encode(JSON.stringify({ sig, info: Buffer.from('{"v":3,"n":[],"u":1,"c":"2024-01-01","e":"2030-01-01T00:00:00Z"}').toString('base64') })), 'malformed info'],
      [encode(JSON.stringify({ sig, info: Buffer.from('{"v":3,"n":[],"u":-1,"e":"2030-01-01T00:00:00Z"}').toString('base64') })), 'malformed info'],
    ];
    for (const [key, reason] of cases) {
      assert.throws(() => decodeLicenseKey(key), (error: unknown) => error instanceof LicenseKeyError && error.message === reason, reason);
      assert.deepEqual(verifyLicenseKey(key, BOTH), { ok: false, reason });
    }
    // Go's zero values: null tags and a missing creation time.
    const decoded = decodeLicenseKey(encode(JSON.stringify({ sig, info })));
    assert.deepEqual([decoded.info.tags, decoded.info.createdAt], [[], '0001-01-01T00:00:00Z']);
  });

  it('refuses a signature whose format does not match how it was made', () => {
    const key = vector('valid-ssh-rsa.key');
    const relabel = (format: string) => rewrite(key, (outer) => void (outer.sig.Format = format));
    assertRefused(verifyLicenseKey(relabel('rsa-sha2-256'), BOTH), key);
    assertRefused(verifyLicenseKey(relabel('ssh-ed25519'), BOTH), key);
    // Node would check an RSA key's signature for any format, so the format must pick the key type.
    const sha256 = vector('valid-rsa-sha2-256.key');
    assertRefused(verifyLicenseKey(rewrite(sha256, (outer) => void (outer.sig.Format = 'ssh-ed25519')), BOTH), sha256);
    assert.deepEqual(verifyLicenseKey(relabel('ecdsa-sha2-nistp256'), BOTH), { ok: false, reason: 'unsupported signature format' });
    assert.deepEqual(verifyLicenseKey(key, []), { ok: false, reason: 'no vendor public keys configured' });
  });
});

describe('issuing', () => {
  const pairs = { rsa: generateVendorKeyPair('rsa', 'round trip'), ed25519: generateVendorKeyPair('ed25519') };

  for (const type of ['rsa', 'ed25519'] as const) {
    it(`round-trips a ${type} key: issued, verified with the new public key only`, () => {
      const pair = pairs[type];
      const [publicKey] = parseAuthorizedKeys(`${pair.publicKeyLine}\n`);
      assert.ok(publicKey);
      assert.equal(publicKey.fingerprint, pair.fingerprint);
      assert.equal(publicKey.type, type === 'rsa' ? 'ssh-rsa' : 'ssh-ed25519');
      assert.equal(publicKey.key.asymmetricKeyDetails?.modulusLength, type === 'rsa' ? 3072 : undefined);
      const key = issueLicenseKey(parseVendorPrivateKey(pair.privateKeyPem), {
        tags: ['plan:enterprise-1'],
        userCount: 42,
        expiresAt: new Date('2031-01-01T00:00:00Z'),
        salesforceOpportunityId: 'opp-1',
      });
      assert.match(key, /^[A-Za-z0-9_-]+$/);
      const verified = assertVerified(verifyLicenseKey(key, [...BOTH, publicKey]));
      assert.equal(verified.vendorKeyFingerprint, pair.fingerprint);
      assert.equal(verified.key.signature.format, type === 'rsa' ? 'rsa-sha2-512' : 'ssh-ed25519');
      assert.deepEqual(
        [verified.key.info.version, verified.key.info.tags, verified.key.info.userCount, verified.key.info.expiresAt],
        [3, ['plan:enterprise-1'], 42, '2031-01-01T00:00:00Z'],
      );
      assert.equal(verified.key.info.salesforceOpportunityId, 'opp-1');
      assert.equal(verified.key.info.salesforceSubscriptionId, undefined);
      assert.ok(Math.abs(Date.parse(verified.key.info.createdAt) - Date.now()) < 60_000);
      assertRefused(verifyLicenseKey(key, BOTH), key);

      const flipped = rewrite(key, (outer) => {
        const info = Buffer.from(outer.info, 'base64');
        const at = info.indexOf('"u":42') + 4;
        info[at] = info[at]! ^ 1; // "42" becomes "52": still valid info, no longer what was signed
        outer.info = info.toString('base64');
      });
      assert.equal(decodeLicenseKey(flipped).info.userCount, 52);
      assert.equal(assertRefused(verifyLicenseKey(flipped, [publicKey]), key), 'signature does not verify against any configured vendor key');
    });
  }

  it('writes the same bytes as Go for the same license', () => {
    for (const [file, pair] of [['valid-ed25519.key', pairs.ed25519], ['valid-rsa-sha2-512-expired.key', pairs.rsa]] as const) {
      const original = decodeLicenseKey(vector(file));
      const { info } = original;
      const reissued = issueLicenseKey(parseVendorPrivateKey(pair.privateKeyPem), {
        tags: info.tags,
        userCount: info.userCount,
        createdAt: new Date(info.createdAt),
        expiresAt: new Date(info.expiresAt),
        nonce: Uint8Array.from(info.nonce),
        ...(info.salesforceSubscriptionId !== undefined && { salesforceSubscriptionId: info.salesforceSubscriptionId }),
      });
      assert.equal(Buffer.from(decodeLicenseKey(reissued).infoBytes).toString(), Buffer.from(original.infoBytes).toString());
      const withoutBlob = (json: string) => json.replace(/"Blob":"[^"]*"/, '"Blob":""');
      assert.equal(withoutBlob(outerJson(reissued)), withoutBlob(outerJson(vector(file))));
    }
  });

  it("escapes and formats as Go's encoding/json does", () => {
    const key = issueLicenseKey(parseVendorPrivateKey(pairs.ed25519.privateKeyPem), {
      tags: ['<a&b>', '\u2028', 'é'],
      userCount: 0,
      createdAt: new Date('2024-01-01T00:00:00.500Z'),
      expiresAt: new Date('2031-01-01T00:00:00Z'),
      salesforceSubscriptionId: '',
      nonce: new Uint8Array(8),
    });
    assert.equal(
      Buffer.from(decodeLicenseKey(key).infoBytes).toString(),
      '{"v":3,"n":[0,0,0,0,0,0,0,0],"t":["\\u003ca\\u0026b\\u003e","\\u2028","é"],"u":0,' +
        '"c":"2024-01-01T00:00:00.5Z","e":"2031-01-01T00:00:00Z","sf_sub_id":""}',
    );
  });

  it('refuses options Go could not encode', () => {
    const privateKey = parseVendorPrivateKey(pairs.ed25519.privateKeyPem);
    const expiresAt = new Date('2031-01-01T00:00:00Z');
    assert.throws(() => issueLicenseKey(privateKey, { userCount: -1, expiresAt }), RangeError);
    assert.throws(() => issueLicenseKey(privateKey, { userCount: 1.5, expiresAt }), RangeError);
    assert.throws(() => issueLicenseKey(privateKey, { userCount: 1, expiresAt: new Date('x') }), RangeError);
    assert.throws(() => issueLicenseKey(privateKey, { userCount: 1, expiresAt: new Date('+010000-01-01T00:00:00Z') }), RangeError);
    assert.throws(() => issueLicenseKey(privateKey, { userCount: 1, expiresAt, nonce: new Uint8Array(7) }), RangeError);
    assert.throws(() => issueLicenseKey(parseAuthorizedKeys(pairs.ed25519.publicKeyLine)[0]!.key, { userCount: 1, expiresAt }), TypeError);
  });

  it('accepts RSA signatures missing their leading zero bytes, as x/crypto/ssh does', () => {
    const privateKey = parseVendorPrivateKey(OPENSSH_RSA_PRIVATE);
    const vendorKeys = parseAuthorizedKeys(OPENSSH_RSA_PUBLIC);
    for (let i = 0; i < 5000; i++) {
      const nonce = Buffer.alloc(8);
      nonce.writeUInt32BE(i);
      const key = issueLicenseKey(privateKey, { userCount: 1, expiresAt: new Date('2031-01-01T00:00:00Z'), nonce });
      if (decodeLicenseKey(key).signature.blob[0] !== 0) continue;
      const short = rewrite(key, (outer) => void (outer.sig.Blob = Buffer.from(outer.sig.Blob, 'base64').subarray(1).toString('base64')));
      assert.equal(decodeLicenseKey(short).signature.blob.length, 127);
      assertVerified(verifyLicenseKey(short, vendorKeys));
      return;
    }
    assert.fail('no signature with a leading zero byte in 5000 tries');
  });
});

describe('vendor keys', () => {
  it('parses authorized_keys text, skipping comments and blank lines', () => {
    const keys = parseAuthorizedKeys(`# vendor keys\n\n${vector('vendor_rsa.pub').trim()}\r\n   \n  # retired\n${OPENSSH_ED25519_PUBLIC}\n${vector('vendor_ed25519.pub')}`);
    assert.deepEqual(
      keys.map(({ type, comment, fingerprint }) => [type, comment, fingerprint]),
      [
        ['ssh-rsa', 'vendor', RSA_FINGERPRINT],
        ['ssh-ed25519', 'test-only ed25519', 'SHA256:x7YbuxarVlKLZZKBWZno5FMDiVFtnzMn3ZNBLcWTdmU'],
        ['ssh-ed25519', 'vendor', ED25519_FINGERPRINT],
      ],
    );
    assert.deepEqual(parseAuthorizedKeys(''), []);
    assert.deepEqual(parseAuthorizedKeys('# nothing here\n\n'), []);
  });

  it('computes fingerprints as ssh-keygen -l does', () => {
    assert.equal(ED25519_PUB[0]?.fingerprint, ED25519_FINGERPRINT);
    assert.equal(RSA_PUB[0]?.fingerprint, RSA_FINGERPRINT);
    assert.equal(parseAuthorizedKeys(OPENSSH_RSA_PUBLIC)[0]?.fingerprint, 'SHA256:NjJ0jBOaT3Lbcm2WoG6lNW3PkIFrxdmmbcn86AijKQ4');
  });

  it('names the line of anything it cannot use, without echoing it', () => {
    const ed = vector('vendor_ed25519.pub').trim();
    const edData = ed.split(' ')[1]!;
    const rsaData = vector('vendor_rsa.pub').split(' ')[1]!;
    const cases: Array<[string, RegExp]> = [
      [`# ok\n${ed}\nthis is not a key\n`, /^line 3: not an authorized_keys line/],
      [`${ed}\n${ECDSA_LINE}\n`, /^line 2: unsupported key type "ecdsa-sha2-nistp256" \(supported: ssh-rsa, ssh-ed25519\)$/],
      [`ssh-ed25519 ${edData.slice(0, -3)}!!! x`, /^line 1: key data is not base64$/],
      [`ssh-ed25519 ${edData.slice(0, 40)}`, /^line 1: invalid ssh-ed25519 key: /],
      [`ssh-rsa ${edData}`, /^line 1: invalid ssh-rsa key: key data is of type "ssh-ed25519"/],
      [`ssh-ed25519 ${rsaData}`, /^line 1: invalid ssh-ed25519 key: key data is of type "ssh-rsa"/],
      [`command="true" ${ed}`, /^line 1: not an authorized_keys line/],
      [OPENSSH_ED25519_PRIVATE, /^line 1: this is a private key/],
    ];
    for (const [text, expected] of cases) {
      assert.throws(() => parseAuthorizedKeys(text), (error: Error) => {
        assert.match(error.message, expected);
        assertNoFragmentOf(text.replace(/ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256/g, ' '), error.message);
        return true;
      });
    }
  });

  it('refuses RSA keys Go would refuse: small moduli and bad exponents', () => {
    const line = (e: Uint8Array, bits: number) => {
      const n = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' }).n!;
      return `ssh-rsa ${Buffer.concat([sshString('ssh-rsa'), sshMpint(e), sshMpint(Buffer.from(n, 'base64url'))]).toString('base64')}`;
    };
    assert.throws(() => parseAuthorizedKeys(line(Uint8Array.of(1, 0, 1), 512)), /^Error: line 1: invalid ssh-rsa key: 512-bit modulus is too small/);
    assert.throws(() => parseAuthorizedKeys(line(Uint8Array.of(1, 0, 0), 1024)), /incorrect exponent/);
    assert.throws(() => parseAuthorizedKeys(line(Uint8Array.of(1, 0, 0, 1), 1024)), /exponent too large/);
    assert.equal(parseAuthorizedKeys(line(Uint8Array.of(1, 0, 1), 1024)).length, 1);
  });

  it('reads OpenSSH-format private keys made by ssh-keygen', () => {
    for (const [privatePem, publicLine] of [[OPENSSH_ED25519_PRIVATE, OPENSSH_ED25519_PUBLIC], [OPENSSH_RSA_PRIVATE, OPENSSH_RSA_PUBLIC]]) {
      const key = issueLicenseKey(parseVendorPrivateKey(privatePem!), { userCount: 1, expiresAt: new Date('2031-01-01T00:00:00Z') });
      assertVerified(verifyLicenseKey(key, parseAuthorizedKeys(publicLine!)));
    }
  });

  it('derives consistent RSA parameters from an OpenSSH private key', () => {
    const jwk = parseVendorPrivateKey(OPENSSH_RSA_PRIVATE).export({ format: 'jwk' });
    const big = (value: string | undefined) => BigInt(`0x${Buffer.from(value ?? '', 'base64url').toString('hex')}`);
    const [n, e, p, q] = [big(jwk.n), big(jwk.e), big(jwk.p), big(jwk.q)];
    assert.equal(n, big(parseAuthorizedKeys(OPENSSH_RSA_PUBLIC)[0]?.key.export({ format: 'jwk' }).n));
    assert.equal(p * q, n);
    assert.equal((e * big(jwk.dp)) % (p - 1n), 1n);
    assert.equal((e * big(jwk.dq)) % (q - 1n), 1n);
    assert.equal((big(jwk.qi) * q) % p, 1n);
  });

  it('reads PKCS#1 and PKCS#8 PEM, and refuses other keys without echoing them', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    assert.equal(parseVendorPrivateKey(rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }).toString()).asymmetricKeyType, 'rsa');
    assert.equal(parseVendorPrivateKey(rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()).asymmetricKeyType, 'rsa');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const encrypted = rsa.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString();
    const cases: Array<[string, RegExp]> = [
      [ec, /^unsupported private key type ec/],
      [encrypted, /^encrypted private keys are not supported/],
      [OPENSSH_ENCRYPTED_PRIVATE, /^invalid OpenSSH private key: encrypted OpenSSH private keys are not supported/],
      [OPENSSH_ED25519_PRIVATE.replace('b3BlbnNzaC1rZXktdjE', 'AAAAAAAAAAAAAAAAAAA'), /^not an OpenSSH private key$/],
      ['-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n', /^not a PEM private key/],
      [vector('vendor_rsa.pub'), /^not a PEM private key/],
    ];
    for (const [pem, expected] of cases) {
      assert.throws(() => parseVendorPrivateKey(pem), (error: Error) => {
        assert.match(error.message, expected);
        assertNoFragmentOf(pem.replace(/-----[A-Z ]+-----/g, ''), error.message);
        return true;
      });
    }
  });

  it('writes public key lines that parse back to the same key', () => {
    const pair = generateVendorKeyPair('ed25519', 'two\nlines');
    assert.match(pair.publicKeyLine, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+ two lines$/);
    assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const [parsed] = parseAuthorizedKeys(pair.publicKeyLine);
    assert.equal(parsed?.comment, 'two lines');
    assert.equal(parsed?.fingerprint, pair.fingerprint);
  });
});

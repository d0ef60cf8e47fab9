import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { PRIVATE_DIR_MODE, writePrivateFile } from '../adapters/fs/private-file.js';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { decodeLicenseKey, isLicenseExpired, issueLicenseKey, verifyLicenseKey } from '../core/identity/license-key.js';
import { generateVendorKeyPair, parseAuthorizedKeys, parseVendorPrivateKey } from '../core/identity/vendor-keys.js';
import { positiveInt } from './events.js';

export function licenseCommand(): Command {
  const license = new Command('license').description('vendor keys and license keys (the deployed format)');

  license.addCommand(
    new Command('keygen')
      .description('create a vendor key pair: private.pem (keep it secret) and public.pub (give to gateways)')
      .requiredOption('--out <dir>', 'directory to write private.pem and public.pub into')
      .addOption(new Option('--type <type>', 'key type').choices(['ed25519', 'rsa']).default('ed25519'))
      .option('--comment <text>', 'comment on the public key line', 'telemetry-gateway vendor key')
      .option('--force', 'overwrite existing files')
      .action((options: { out: string; type: 'ed25519' | 'rsa'; comment: string; force?: boolean }) => {
        const privatePath = join(options.out, 'private.pem');
        const publicPath = join(options.out, 'public.pub');
        for (const path of [privatePath, publicPath]) {
          if (existsSync(path) && !options.force) throw new Error(`${path} exists; use --force to overwrite`);
        }
        const pair = generateVendorKeyPair(options.type, options.comment);
        mkdirSync(options.out, { recursive: true, mode: PRIVATE_DIR_MODE });
        // 0600 also over an existing wider file (--force): the mode is narrowed before the key is written.
        writePrivateFile(privatePath, pair.privateKeyPem);
        writeFileSync(publicPath, `${pair.publicKeyLine}\n`, { mode: 0o644 });
        process.stdout.write(`${JSON.stringify({ privateKey: privatePath, publicKey: publicPath, fingerprint: pair.fingerprint })}\n`);
      }),
  );

  license.addCommand(
    new Command('issue')
      .description('mint a license key signed with a vendor private key; prints the key')
      .requiredOption('--private-key <file>', 'vendor private key (PEM), as written by `license keygen`')
      .option('--tags <a,b>', 'comma-separated license tags', (v: string) => v.split(',').map((t) => t.trim()).filter(Boolean), [])
      .option('--users <n>', 'licensed user count', positiveInt, 100)
      .option('--expires <date>', 'expiry as an ISO 8601 date or time (default: one year from now)', parseDate)
      .option('--salesforce-subscription-id <id>')
      .option('--salesforce-opportunity-id <id>')
      .action((options: {
        privateKey: string;
        tags: string[];
        users: number;
        expires?: Date;
        salesforceSubscriptionId?: string;
        salesforceOpportunityId?: string;
      }) => {
        const privateKey = parseVendorPrivateKey(readFileSync(options.privateKey, 'utf8'));
        const expiresAt = options.expires ?? new Date(Date.now() + 365 * 24 * 3600 * 1000);
        const key = issueLicenseKey(privateKey, {
          tags: options.tags,
          userCount: options.users,
          expiresAt,
          ...(options.salesforceSubscriptionId && { salesforceSubscriptionId: options.salesforceSubscriptionId }),
          ...(options.salesforceOpportunityId && { salesforceOpportunityId: options.salesforceOpportunityId }),
        });
        process.stdout.write(`${key}\n`);
      }),
  );

  license.addCommand(
    new Command('inspect')
      .description('decode a license key (argument, or - for stdin) and verify it; prints JSON')
      .argument('<key>', 'the license key, or - to read it from stdin')
      .option('--public-key <file>', 'vendor public key file(s) to verify against (repeatable)', collect, [])
      .action((keyArgument: string, options: { publicKey: string[] }) => {
        const key = keyArgument === '-' ? readFileSync(0, 'utf8') : keyArgument;
        const vendorKeys = options.publicKey.flatMap((file) => parseAuthorizedKeys(readFileSync(file, 'utf8')));
        let decoded;
        try {
          decoded = decodeLicenseKey(key);
        } catch (error) {
          process.stdout.write(`${JSON.stringify({ valid: false, reason: (error as Error).message }, null, 2)}\n`);
          process.exitCode = 1;
          return;
        }
        const verification = vendorKeys.length > 0 ? verifyLicenseKey(key, vendorKeys) : undefined;
        const report = {
          info: decoded.info,
          expired: isLicenseExpired(decoded.info, new Date()),
          signatureFormat: decoded.signature.format,
          signatureSha256: decoded.signatureSha256,
          verified: verification === undefined ? null : verification.ok,
          ...(verification?.ok && { vendorKeyFingerprint: verification.vendorKeyFingerprint }),
          ...(verification && !verification.ok && { reason: verification.reason }),
        };
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        if (verification && !verification.ok) process.exitCode = 1;
      }),
  );
  return license;
}

function parseDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected an ISO 8601 date, e.g. 2027-12-31');
  return date;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { EVENTS_WRITE_SCOPE, sha256 } from '../core/identity/service-tokens.js';

export function tokenCommand(): Command {
  const token = new Command('token').description('managed-service bearer tokens');
  token.addCommand(
    new Command('create')
      .description(
        'create a random token: prints the token (give it to the service) and the entry for the --service-tokens file (which holds only its SHA-256)',
      )
      .requiredOption('--name <name>', 'name of the service the token is for')
      .option('--scopes <a,b>', 'comma-separated scopes', EVENTS_WRITE_SCOPE)
      .action((options: { name: string; scopes: string }) => {
        const value = `tgw_${randomBytes(32).toString('base64url')}`;
        const entry = {
          name: options.name,
          sha256: sha256(value).toString('hex'),
          scopes: options.scopes.split(',').map((s) => s.trim()).filter(Boolean),
        };
        process.stdout.write(`${JSON.stringify({ token: value, entry })}\n`);
      }),
  );
  return token;
}

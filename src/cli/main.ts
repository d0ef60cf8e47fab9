import { Command } from 'commander';
import { VERSION } from '../version.js';
import { configCommand } from './config.js';
import { eventsCommand } from './events.js';
import { exportCommand } from './export.js';
import { licenseCommand } from './license.js';
import { queueCommand } from './queue.js';
import { recordCommand } from './record.js';
import { sendSampleCommand } from './send-sample.js';
import { serveCommand } from './serve.js';
import { sinkCommand } from './sink.js';
import { tokenCommand } from './token.js';

const program = new Command('telemetry-gateway')
  .description('A telemetrygateway.v1 telemetry gateway (receive, check and durably store usage events) and its exporter (record, redact, queue, export)')
  .version(VERSION)
  .showHelpAfterError()
  .addCommand(serveCommand())
  .addCommand(eventsCommand())
  .addCommand(sinkCommand())
  .addCommand(licenseCommand())
  .addCommand(tokenCommand())
  .addCommand(sendSampleCommand())
  .addCommand(recordCommand())
  .addCommand(exportCommand())
  .addCommand(queueCommand())
  .addCommand(configCommand());

// `events list | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`telemetry-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

import type { MaintenanceListener } from '../../core/store.js';
import type { Logger } from '../../logger.js';
import { createLogLimiter } from './log-limiter.js';

/**
 * Log lines for the store's background maintenance (retention): a pass that
 * deleted something at info, a failed pass at warn (a few per hour; a store
 * that keeps failing every minute would otherwise fill the log), and the first
 * pass that works again after failures.
 */
export function logMaintenance(logger: Logger, options: { now?: () => number } = {}): MaintenanceListener {
  const limiter = createLogLimiter({ perWindow: 3, windowMs: 60 * 60_000, now: options.now });
  let failing = 0;
  return (report) => {
    if (!report.ok) {
      failing++;
      const { log, suppressed } = limiter.take('maintenance-failure');
      if (log) logger.warn({ reason: report.reason, failedPasses: failing, ...(suppressed > 0 ? { suppressed } : {}) }, 'store maintenance failed; retrying at the next pass');
      return;
    }
    const { deletedEvents, deletedRejected, droppedPartitions } = report;
    if (failing > 0) logger.info({ failedPasses: failing }, 'store maintenance works again');
    failing = 0;
    if (deletedEvents + deletedRejected + droppedPartitions > 0) {
      logger.info({ deletedEvents, deletedRejected, droppedPartitions }, 'retention removed old events');
    }
  };
}

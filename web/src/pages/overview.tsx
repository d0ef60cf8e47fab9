import type { Overview } from '../api.js';
import { Stat } from '../components/stat.js';
import { VolumeChart } from '../components/volume-chart.js';
import { formatCount, formatMs, formatRate } from '../format.js';
import { usePolling } from '../use-polling.js';

export function OverviewPage() {
  const { data, error } = usePolling<Overview>('/api/overview', 2000);
  if (!data) return <p class="muted">{error ?? 'Loading…'}</p>;
  const now = data.eventsPerSecond;
  const perSecond = now.stored + now.duplicate + now.rejected + now.retryable;
  return (
    <section>
      {error && <p class="error">{error}</p>}
      <div class="stats">
        <Stat label="events/s now (10 s average)" value={formatRate(perSecond)} testId="events-per-second" />
        <Stat label="stored, last hour" value={formatCount(data.lastHour.stored)} testId="stored-last-hour" />
        <Stat label="duplicates, last hour" value={formatCount(data.lastHour.duplicate)} testId="duplicate-last-hour" />
        <Stat label="rejected, last hour" value={formatCount(data.lastHour.rejected)} testId="rejected-last-hour" tone={data.lastHour.rejected > 0 ? 'warn' : undefined} />
        <Stat label="retryable failures, last hour" value={formatCount(data.lastHour.retryable)} testId="retryable-last-hour" tone={data.lastHour.retryable > 0 ? 'bad' : undefined} />
        <Stat label="rate-limited, last hour" value={formatCount(data.lastHour.rateLimited)} testId="rate-limited-last-hour" />
        <Stat label="open streams" value={formatCount(data.openStreams)} testId="open-streams" />
      </div>

      <h2>Events per minute, last hour</h2>
      <VolumeChart perMinute={data.perMinute} />
      <p class="note">
        Stored and rejected: {data.perMinuteSource === 'store' ? 'from the store (all replicas), the current minute from this gateway until it closes' : "this gateway's counters since it started"};
        duplicates and retryable failures from this gateway's counters.
      </p>

      <div class="columns">
        <div>
          <h2>Top feature/action, last hour</h2>
          <table data-testid="top-feature-actions">
            <thead>
              <tr><th>feature</th><th>action</th><th class="num">events</th></tr>
            </thead>
            <tbody>
              {data.topFeatureActions.map((p) => (
                <tr key={`${p.feature}/${p.action}`}>
                  <td>{p.feature}</td><td>{p.action}</td><td class="num">{formatCount(p.events)}</td>
                </tr>
              ))}
              {data.topFeatureActions.length === 0 && <tr><td colSpan={3} class="muted">nothing yet</td></tr>}
            </tbody>
          </table>
        </div>
        <div>
          <h2>Store</h2>
          <dl class="store" data-testid="store-health">
            <dt>store</dt><dd>{data.store.description}</dd>
            <dt>health</dt>
            <dd class={data.store.ok ? 'ok' : 'bad'} data-testid="store-ok">{data.store.ok ? 'writable' : `not writable: ${data.store.reason}`}</dd>
            {data.store.probeLatencyMs !== undefined && (<><dt>probe latency</dt><dd>{formatMs(data.store.probeLatencyMs)}</dd></>)}
            {data.store.writeLatencyMs && (<><dt>payload write p50 / max</dt><dd>{formatMs(data.store.writeLatencyMs.p50)} / {formatMs(data.store.writeLatencyMs.max)}</dd></>)}
            <dt>since start</dt><dd>{formatCount(data.totalsSinceStart.stored)} stored, {formatCount(data.totalsSinceStart.rejected)} rejected</dd>
          </dl>
        </div>
      </div>
    </section>
  );
}

import type { InstancesResponse } from '../api.js';
import { SOURCE_LABELS, formatAgo, formatCount, formatTime } from '../format.js';
import { usePolling } from '../use-polling.js';

export function InstancesPage() {
  const { data, error } = usePolling<InstancesResponse>('/api/instances', 10_000);
  if (!data) return <p class="muted">{error ?? 'Loading…'}</p>;
  return (
    <section>
      {error && <p class="error">{error}</p>}
      <p class="note">
        Every instance and managed service {data.source === 'store' ? 'in the store' : 'this gateway has seen since it started'}; counts cover the last 24 hours.
      </p>
      <table data-testid="instances-table">
        <thead>
          <tr>
            <th>kind</th><th>identifier</th><th>external URL</th><th>license</th><th>server versions</th>
            <th>first seen</th><th>last seen</th><th class="num">events 24 h</th><th class="num">rejected 24 h</th>
          </tr>
        </thead>
        <tbody>
          {data.instances.map((row) => (
            <tr key={`${row.identity.kind}:${row.identity.id}:${row.license?.signatureSha256 ?? ''}`} data-instance-id={row.identity.id}>
              <td>{SOURCE_LABELS[row.identity.kind]}</td>
              <td>{row.identity.id}{row.serviceEnvironment ? ` (${row.serviceEnvironment})` : ''}</td>
              <td>{row.identity.externalUrl}</td>
              <td>
                {row.license ? (
                  <span class={row.license.expired ? 'expired' : ''} data-testid="license">
                    {row.license.tags.join(', ') || 'no tags'}; {formatCount(row.license.userCount)} users; expires {row.license.expiresAt.slice(0, 10)}
                    {row.license.expired && <strong> (expired)</strong>}
                  </span>
                ) : (
                  <span class="muted">none</span>
                )}
              </td>
              <td>{row.serverVersions.join(', ')}</td>
              <td>{formatTime(row.firstSeenMs)}</td>
              <td title={formatTime(row.lastSeenMs)}>{formatAgo(row.lastSeenMs)}</td>
              <td class="num">{formatCount(row.eventsSince)}</td>
              <td class="num">{formatCount(row.rejectedSince)}</td>
            </tr>
          ))}
          {data.instances.length === 0 && <tr><td colSpan={9} class="muted">no instance has sent anything yet</td></tr>}
        </tbody>
      </table>
    </section>
  );
}

import { useState } from 'preact/hooks';
import { getJson, type RejectedEventDetail, type RejectedResponse, type RejectedRow } from '../api.js';
import { RecordView } from '../components/record-view.js';
import { SOURCE_LABELS, formatTime } from '../format.js';
import { usePolling } from '../use-polling.js';

export function RejectedPage() {
  const [query, setQuery] = useState('');
  const { data, error } = usePolling<RejectedResponse>(`/api/rejected?limit=200${query}`, 5000);
  const [selected, setSelected] = useState<{ title: string; record: unknown }>();

  const onFilter = (e: Event): void => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const params = new URLSearchParams();
    for (const key of ['feature', 'action', 'publisher', 'reason']) {
      const value = String(form.get(key) ?? '').trim();
      if (value) params.set(key, value);
    }
    setQuery(params.size > 0 ? `&${params}` : '');
  };

  const open = async (row: RejectedRow): Promise<void> => {
    const detail = await getJson<RejectedEventDetail>(`/api/rejected/${row.seq}`);
    setSelected({ title: `${row.feature}/${row.action} ${row.id}`, record: detail.record });
  };

  return (
    <section>
      <form class="filters" onSubmit={onFilter} data-testid="rejected-filters">
        <input name="feature" placeholder="feature" aria-label="feature" />
        <input name="action" placeholder="action" aria-label="action" />
        <select name="publisher" aria-label="source">
          <option value="">any source</option>
          <option value="licensed_instance">licensed instance</option>
          <option value="unlicensed_instance">unlicensed instance</option>
        </select>
        <input name="reason" placeholder="reason contains" aria-label="reason" />
        <button type="submit">Apply filters</button>
      </form>
      {error && <p class="error">{error}</p>}
      <p class="note">Events that can never be recorded, newest first, kept with the reason. Click a row for the full record.</p>
      <table class="clickable" data-testid="rejected-table">
        <thead>
          <tr><th>received</th><th>feature</th><th>action</th><th>reason</th><th>source</th><th>instance</th><th>event id</th></tr>
        </thead>
        <tbody>
          {(data?.rejected ?? []).map((row) => (
            <tr key={row.seq} data-event-id={row.id} onClick={() => void open(row)}>
              <td>{formatTime(row.receivedAtMs)}</td>
              <td>{row.feature}</td>
              <td>{row.action}</td>
              <td class="reason">{row.reason}</td>
              <td>{SOURCE_LABELS[row.source.kind] ?? row.publisher}</td>
              <td>{row.source.id}</td>
              <td class="mono">{row.id}</td>
            </tr>
          ))}
          {data && data.rejected.length === 0 && <tr><td colSpan={7} class="muted">no rejected events</td></tr>}
        </tbody>
      </table>
      {selected && <RecordView title={selected.title} record={selected.record} onClose={() => setSelected(undefined)} />}
    </section>
  );
}

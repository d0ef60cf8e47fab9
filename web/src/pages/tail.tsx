import { useEffect, useState } from 'preact/hooks';
import type { TailItem } from '../api.js';
import { RecordView } from '../components/record-view.js';
import { SOURCE_LABELS, formatTime } from '../format.js';

/** Rows kept on screen; older ones scroll away for good. */
const MAX_ROWS = 200;

interface Filters {
  feature: string;
  action: string;
  source: string;
  instance: string;
}

const EMPTY: Filters = { feature: '', action: '', source: '', instance: '' };

export function TailPage() {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [paused, setPaused] = useState(false);
  const [items, setItems] = useState<TailItem[]>([]);
  const [skipped, setSkipped] = useState(0);
  const [status, setStatus] = useState('connecting');
  const [selected, setSelected] = useState<TailItem>();

  useEffect(() => {
    // Paused means disconnected: the gateway then spends nothing on this page.
    if (paused) {
      setStatus('paused');
      return;
    }
    const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v.trim() !== ''));
    const source = new EventSource(`/api/tail?${query}`);
    source.onopen = () => setStatus('live');
    source.onerror = () => setStatus('reconnecting');
    source.addEventListener('record', (e) => {
      const item = JSON.parse((e as MessageEvent<string>).data) as TailItem;
      setItems((old) => [item, ...old].slice(0, MAX_ROWS));
    });
    source.addEventListener('skipped', (e) => setSkipped((n) => n + Number((e as MessageEvent<string>).data)));
    return () => source.close();
  }, [filters, paused]);

  const onFilter = (e: Event): void => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setFilters({
      feature: String(form.get('feature') ?? ''),
      action: String(form.get('action') ?? ''),
      source: String(form.get('source') ?? ''),
      instance: String(form.get('instance') ?? ''),
    });
    setItems([]);
  };

  return (
    <section>
      <form class="filters" onSubmit={onFilter} data-testid="tail-filters">
        <input name="feature" placeholder="feature" aria-label="feature" />
        <input name="action" placeholder="action" aria-label="action" />
        <select name="source" aria-label="source">
          <option value="">any source</option>
          <option value="licensed_instance">licensed instance</option>
          <option value="unlicensed_instance">unlicensed instance</option>
          <option value="managed_service">managed service</option>
        </select>
        <input name="instance" placeholder="instance id or URL" aria-label="instance" />
        <button type="submit">Apply filters</button>
        <button type="button" data-testid="pause" onClick={() => setPaused((p) => !p)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <span class={`status ${status}`} data-testid="tail-status">{status}</span>
      </form>
      <p class="note">
        A sample of what arrives (at most 20 records a second per page), newest first; credentials are masked. Click a row for the full record.
        {skipped > 0 && ` ${skipped} skipped while this page was behind.`}
      </p>
      <table class="clickable" data-testid="tail-table">
        <thead>
          <tr><th>received</th><th>feature</th><th>action</th><th>outcome</th><th>source</th><th>instance</th></tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={`${item.id}-${item.receivedAtMs}`} data-event-id={item.id} onClick={() => setSelected(item)}>
              <td>{formatTime(item.receivedAtMs)}</td>
              <td>{item.feature}</td>
              <td>{item.action}</td>
              <td class={`outcome ${item.outcome}`}>{item.outcome}{item.reason ? `: ${item.reason}` : ''}</td>
              <td>{SOURCE_LABELS[item.source.kind]}</td>
              <td>{item.source.id}</td>
            </tr>
          ))}
          {items.length === 0 && <tr><td colSpan={6} class="muted">waiting for events…</td></tr>}
        </tbody>
      </table>
      {selected && <RecordView title={`${selected.feature}/${selected.action} ${selected.id}`} record={selected.record} onClose={() => setSelected(undefined)} />}
    </section>
  );
}

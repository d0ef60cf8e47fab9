/** The full record of an event as formatted JSON (credentials already masked by the gateway). */
export function RecordView({ title, record, onClose }: { title: string; record: unknown; onClose: () => void }) {
  return (
    <aside class="record-view" data-testid="record-view" role="dialog" aria-label={title}>
      <header>
        <h2>{title}</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </header>
      <pre data-testid="record-json">{JSON.stringify(record, null, 2)}</pre>
    </aside>
  );
}

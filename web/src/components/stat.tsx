import type { ComponentChildren } from 'preact';

/** One headline figure on the overview. */
export function Stat({ label, value, testId, tone }: { label: string; value: ComponentChildren; testId: string; tone?: 'bad' | 'warn' }) {
  return (
    <div class={`stat ${tone ?? ''}`}>
      <div class="stat-value" data-testid={testId}>
        {value}
      </div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

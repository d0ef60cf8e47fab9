import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Overview } from '../api.js';

const SERIES = [
  { key: 'stored', label: 'stored', color: '#2e7d32' },
  { key: 'duplicate', label: 'duplicate', color: '#1565c0' },
  { key: 'rejected', label: 'rejected', color: '#c62828' },
  { key: 'retryable', label: 'retryable failure', color: '#ef6c00' },
] as const;

/** Events per minute over the last hour, one line per outcome (uPlot). */
export function VolumeChart({ perMinute }: { perMinute: Overview['perMinute'] }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot>();

  const data: uPlot.AlignedData = [
    perMinute.map((m) => m.minuteMs / 1000),
    ...SERIES.map((s) => perMinute.map((m) => m[s.key])),
  ];

  useEffect(() => {
    if (!host.current) return;
    const options: uPlot.Options = {
      width: host.current.clientWidth || 800,
      height: 260,
      scales: { y: { range: (_u, _min, max) => [0, Math.max(5, max * 1.1)] } },
      axes: [{}, { label: 'events / minute', size: 60 }],
      series: [
        {},
        ...SERIES.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: `${s.color}22`,
          width: 2,
          points: { show: false },
        })),
      ],
    };
    plot.current = new uPlot(options, data, host.current);
    const resize = (): void => plot.current?.setSize({ width: host.current?.clientWidth ?? 800, height: 260 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current?.destroy();
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  }, [perMinute]);

  return <div class="chart" ref={host} data-testid="volume-chart" />;
}

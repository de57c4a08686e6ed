import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useElementSize } from '@mantine/hooks';

export interface ChartLine {
  label: string;
  values: number[];
  color: string;
}

/** A uPlot line chart over time that follows its container's width; a table or summary should accompany it. */
export function TimeChart({ x, lines, height = 220, title }: { x: number[]; lines: ChartLine[]; height?: number; title: string }) {
  const { ref: box, width } = useElementSize();
  const target = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    if (!target.current || width === 0) return;
    const opts: uPlot.Options = {
      width: Math.floor(width),
      height,
      series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, points: { show: false } }))],
      axes: [{}, { size: 50 }],
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      legend: { show: true },
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, [x, ...lines.map((l) => l.values)], target.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [x, lines, width, height]);

  return (
    <div ref={box} style={{ width: '100%' }}>
      <div ref={target} role="img" aria-label={title} />
    </div>
  );
}

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

  const hasWidth = width > 0;
  useEffect(() => {
    if (!target.current || !hasWidth) return;
    const opts: uPlot.Options = {
      width: Math.floor(target.current.parentElement?.clientWidth ?? 600),
      height,
      series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, points: { show: false } }))],
      axes: [{}, { size: 50 }],
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      legend: { show: true },
    };
    plot.current = new uPlot(opts, [x, ...lines.map((l) => l.values)], target.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [x, lines, height, hasWidth]);

  // resizing keeps the plot and only changes its size
  useEffect(() => {
    if (width > 0) plot.current?.setSize({ width: Math.floor(width), height });
  }, [width, height]);

  return (
    <div ref={box} style={{ width: '100%' }}>
      <div ref={target} role="img" aria-label={title} />
    </div>
  );
}

import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line {
  label: string;
  values: (number | null)[];
  color: string;
  dash?: number[];
}

/**
 * A line chart over steps 1…n (uPlot draws on a canvas, so a figure caption and a summary give the
 * numbers in text too). Redrawn in place when the lines change, so live updates do not flicker.
 */
export function LossChart({ title, lines, xLabel = 'step' }: { title: string; lines: Line[]; xLabel?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = lines.map((line) => line.label).join('|');
  const length = Math.max(0, ...lines.map((line) => line.values.length));
  const data: uPlot.AlignedData = [
    Array.from({ length }, (_, i) => i + 1),
    ...lines.map((line) => Array.from({ length }, (_, i) => line.values[i] ?? null)),
  ];

  useEffect(() => {
    const element = box.current!;
    const width = () => Math.max(240, element.clientWidth);
    const chart = new uPlot(
      {
        width: width(),
        height: 240,
        scales: { x: { time: false } },
        axes: [{ label: xLabel }, { label: 'loss' }],
        series: [{ label: xLabel }, ...lines.map((line) => ({ label: line.label, stroke: line.color, width: 2, spanGaps: true, ...(line.dash ? { dash: line.dash } : {}) }))],
      },
      data,
      element,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: width(), height: 240 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // A new set of lines needs a new chart; new points only new data.
  }, [shape]);

  useEffect(() => plot.current?.setData(data), [data]);

  const last = lines.map((line) => `${line.label} ${line.values.filter((v) => v !== null).at(-1)?.toPrecision(4) ?? '—'}`).join(', ');
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}: ${length} ${xLabel}s; last ${last}`} data-points={length} />
    </figure>
  );
}

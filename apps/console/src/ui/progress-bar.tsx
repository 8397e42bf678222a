/** A labelled progress bar: screen readers announce the percentage, the label says what it measures. */
export function ProgressBar({ percent, label }: { percent: number; label: string }) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <span class="progress">
      <progress max={100} value={value} aria-label={label} />
      <span class="progress-figure">{value}%</span>
    </span>
  );
}

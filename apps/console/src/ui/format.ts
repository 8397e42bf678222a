export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

export const figure = (value: number | undefined) =>
  value === undefined ? '—' : Math.abs(value) >= 1000 || Number.isInteger(value) ? String(value) : value.toPrecision(4);

export const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`);

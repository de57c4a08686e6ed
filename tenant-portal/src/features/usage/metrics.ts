export type Metric = 'requests' | 'items' | 'compute';

/** What the per-version charts show. */
export const METRICS: ReadonlyArray<{ value: Metric; label: string }> = [
  { value: 'requests', label: 'Requests and errors' },
  { value: 'items', label: 'Items' },
  { value: 'compute', label: 'Compute (seconds)' },
];

import { Badge } from '@mantine/core';

const STATUS: Record<string, { color: string; label: string }> = {
  ready: { color: 'green', label: 'ready' },
  loading: { color: 'blue', label: 'loading' },
  pending: { color: 'gray', label: 'pending' },
  degraded: { color: 'orange', label: 'degraded' },
  failed: { color: 'red', label: 'failed' },
  quota_exceeded: { color: 'grape', label: 'quota exceeded' },
  not_deployed: { color: 'gray', label: 'not deployed' },
  scaled_to_zero: { color: 'gray', label: 'scaled to zero' },
  READY: { color: 'green', label: 'READY' },
  LOADING: { color: 'blue', label: 'LOADING' },
  PENDING: { color: 'gray', label: 'PENDING' },
  DEGRADED: { color: 'orange', label: 'DEGRADED' },
  FAILED: { color: 'red', label: 'FAILED' },
  QUOTA_EXCEEDED: { color: 'grape', label: 'QUOTA_EXCEEDED' },
  SCALED_TO_ZERO: { color: 'gray', label: 'SCALED_TO_ZERO' },
};

/** A model's or replica's state as a coloured label (the text carries the meaning, not the colour). */
export function StatusBadge({ status }: { status: string | null | undefined }) {
  const s = STATUS[status ?? 'not_deployed'] ?? { color: 'gray', label: status ?? 'unknown' };
  return (
    <Badge color={s.color} radius="sm" style={{ flexShrink: 0, overflow: 'visible' }}>
      {s.label}
    </Badge>
  );
}

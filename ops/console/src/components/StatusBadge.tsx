import { Badge } from '@mantine/core';

const COLOR: Record<string, string> = { active: 'green', suspended: 'red', deleting: 'orange', deleted: 'gray' };

/** A tenant's status as a labelled badge (the text carries the meaning, not the colour). */
export function TenantStatus({ status }: { status: string | undefined }) {
  return (
    <Badge color={COLOR[status ?? ''] ?? 'gray'} radius="sm">
      {status ?? 'unknown'}
    </Badge>
  );
}

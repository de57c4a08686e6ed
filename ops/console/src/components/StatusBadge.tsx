import { Badge } from '@mantine/core';

/** A tenant's status as a labelled badge (the text carries the meaning, not the colour). */
export function TenantStatus({ status }: { status: string | undefined }) {
  return (
    <Badge color={status === 'suspended' ? 'red' : 'green'} radius="sm">
      {status ?? 'unknown'}
    </Badge>
  );
}

import type { ReactNode } from 'react';
import { Alert, Button, Center, Group, Loader, Text } from '@mantine/core';
import { errorMessage } from '../api/errors';

/** Loading, error (the API's sentence, with retry) and empty states shared by every page. */
export function QueryState<T>({
  query,
  label,
  isEmpty,
  empty,
  children,
}: {
  query: { isPending: boolean; isError: boolean; error: unknown; data: T | undefined; refetch: () => unknown };
  label: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) {
    return (
      <Center py="xl" role="status" aria-live="polite">
        <Group gap="sm">
          <Loader size="sm" aria-hidden />
          <Text>Loading {label}…</Text>
        </Group>
      </Center>
    );
  }
  if (query.isError || query.data === undefined) {
    return <ErrorAlert error={query.error} onRetry={() => void query.refetch()} title={`Could not load ${label}`} />;
  }
  if (isEmpty?.(query.data)) return <>{empty ?? <Text c="dimmed">Nothing here yet.</Text>}</>;
  return <>{children(query.data)}</>;
}

export function ErrorAlert({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  return (
    <Alert color="red" title={title ?? 'Something went wrong'} role="alert">
      <Group justify="space-between" wrap="wrap" gap="sm">
        <Text size="sm">{errorMessage(error)}</Text>
        {onRetry && (
          <Button size="xs" variant="default" onClick={onRetry}>
            Retry
          </Button>
        )}
      </Group>
    </Alert>
  );
}

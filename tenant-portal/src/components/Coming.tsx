import { Stack, Text, Title } from '@mantine/core';

/** Placeholder for a page that is not built yet. */
export function Coming({ title }: { title: string }) {
  return (
    <Stack>
      <Title order={1}>{title}</Title>
      <Text c="dimmed">This page is coming.</Text>
    </Stack>
  );
}

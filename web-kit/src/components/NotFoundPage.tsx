import { Stack, Text, Title } from '@mantine/core';
import { Link } from '../router';

/** The page for a path no route matches. */
export function NotFoundPage() {
  return (
    <Stack>
      <Title order={1}>Page not found</Title>
      <Text>
        There is no such page. <Link to="/">Go to the overview</Link>.
      </Text>
    </Stack>
  );
}

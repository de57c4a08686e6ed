import { Button, Group, Text } from '@mantine/core';
import { nextPage, previousPage, type CursorPages } from '../lib/tenants';

/** Previous / next over a cursor-paged list; `next` is the server's cursor of the page after this one. */
export function CursorPager({ pages, next, onPages, label }: {
  pages: CursorPages;
  next: string | null | undefined;
  onPages: (p: CursorPages) => void;
  label: string;
}) {
  return (
    <Group gap="sm" justify="flex-end" component="nav" aria-label={`${label} pages`}>
      <Button size="xs" variant="default" disabled={pages.index === 0} onClick={() => onPages(previousPage(pages))}>
        Previous page
      </Button>
      <Text size="sm" aria-live="polite">
        Page {pages.index + 1}
      </Text>
      <Button size="xs" variant="default" disabled={!next} onClick={() => onPages(nextPage(pages, next))}>
        Next page
      </Button>
    </Group>
  );
}

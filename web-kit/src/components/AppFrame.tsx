import type { ReactNode } from 'react';
import { AppShell, Burger, Button, Group, NavLink, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, usePath } from '../router';
import { useAuth } from '../auth/AuthProvider';

export interface NavItem {
  label: string;
  to: string;
}

function isActive(to: string, path: string): boolean {
  return to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`);
}

/** The signed-in frame: header with the app's name, who is signed in and Sign out; the main navigation; the page. */
export function AppFrame({ title, who, nav, children }: { title: string; who?: string; nav: NavItem[]; children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure(false);
  const path = usePath();
  const { signOut } = useAuth();

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={2} size="h4">
              {title}
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {who && (
              <Text size="sm" c="dimmed" visibleFrom="xs">
                {who}
              </Text>
            )}
            <Button variant="default" size="xs" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
        <Stack gap={2}>
          {nav.map((n) => (
            <NavLink
              key={n.to}
              component={Link}
              to={n.to}
              label={n.label}
              active={isActive(n.to, path)}
              variant="filled"
              aria-current={isActive(n.to, path) ? 'page' : undefined}
              onClick={close}
            />
          ))}
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}

import type { ReactNode } from 'react';
import { AppShell, Burger, Button, Group, NavLink, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, usePath } from '../router';
import { useAuth } from '../auth/AuthProvider';
import { useMe } from '../auth/useMe';

interface NavItem {
  label: string;
  to: string;
  keycloakOnly?: boolean;
}

const NAV: NavItem[] = [
  { label: 'Overview', to: '/' },
  { label: 'Models', to: '/models' },
  { label: 'API keys', to: '/api-keys' },
  { label: 'Usage', to: '/usage' },
  { label: 'Audit', to: '/audit' },
  { label: 'Members', to: '/members', keycloakOnly: true },
  { label: 'Service accounts', to: '/service-accounts', keycloakOnly: true },
];

function isActive(to: string, path: string): boolean {
  return to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`);
}

/** The signed-in frame: header with tenant and role, navigation, and the page. */
export function Shell({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure(false);
  const path = usePath();
  const { config, signOut } = useAuth();
  const { me } = useMe();
  const items = NAV.filter((n) => !n.keycloakOnly || config?.mode === 'keycloak');

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={2} size="h4">
              ModelPlane
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {me && (
              <Text size="sm" c="dimmed" visibleFrom="xs">
                {me.tenant} · {me.role}
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
          {items.map((n) => (
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
      <AppShell.Main>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}

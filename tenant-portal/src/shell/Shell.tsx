import type { ReactNode } from 'react';
import { AppFrame, useAuth, type NavItem } from '@modelplane/web-kit';
import { useMe } from '../auth/useMe';

const NAV: (NavItem & { keycloakOnly?: boolean })[] = [
  { label: 'Overview', to: '/' },
  { label: 'Models', to: '/models' },
  { label: 'API keys', to: '/api-keys' },
  { label: 'Usage', to: '/usage' },
  { label: 'Audit', to: '/audit' },
  { label: 'Members', to: '/members', keycloakOnly: true },
  { label: 'Service accounts', to: '/service-accounts', keycloakOnly: true },
];

/** The signed-in frame: header with tenant and role, navigation, and the page. */
export function Shell({ children }: { children: ReactNode }) {
  const { config } = useAuth();
  const { me } = useMe();
  const items = NAV.filter((n) => !n.keycloakOnly || config?.mode === 'keycloak');
  return (
    <AppFrame title="ModelPlane" who={me ? `${me.tenant} · ${me.role}` : undefined} nav={items}>
      {children}
    </AppFrame>
  );
}

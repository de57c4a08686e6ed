import type { ReactNode } from 'react';
import { AppFrame, useAuth, type NavItem } from '@modelplane/web-kit';
import { useMe } from '../auth/useMe';
import type { Action } from '../auth/permissions';

// `needs`: shown only to roles allowed it (the page itself says why to anyone who opens it anyway)
const NAV: (NavItem & { keycloakOnly?: boolean; needs?: Action })[] = [
  { label: 'Overview', to: '/' },
  { label: 'Models', to: '/models' },
  { label: 'API keys', to: '/api-keys' },
  { label: 'Usage', to: '/usage' },
  { label: 'Billing', to: '/billing', needs: 'readBilling' },
  { label: 'Audit', to: '/audit' },
  { label: 'Members', to: '/members', keycloakOnly: true },
  { label: 'Service accounts', to: '/service-accounts', keycloakOnly: true },
];

/** The signed-in frame: header with tenant and role, navigation, and the page. */
export function Shell({ children }: { children: ReactNode }) {
  const { config } = useAuth();
  const { me, can } = useMe();
  const items = NAV.filter((n) => (!n.keycloakOnly || config?.mode === 'keycloak') && (!n.needs || can(n.needs).allowed));
  return (
    <AppFrame title="ModelPlane" who={me ? `${me.tenant} · ${me.role}` : undefined} nav={items}>
      {children}
    </AppFrame>
  );
}

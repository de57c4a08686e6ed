import type { ReactNode } from 'react';
import { AppFrame } from '@modelplane/web-kit';

const NAV = [
  { label: 'Overview', to: '/' },
  { label: 'Tenants', to: '/tenants' },
  { label: 'Plans', to: '/plans' },
  { label: 'Cluster', to: '/cluster' },
  { label: 'Audit', to: '/audit' },
  { label: 'Billing', to: '/billing' },
];

/** The signed-in frame with the console's navigation. */
export function Shell({ name, children }: { name: string; children: ReactNode }) {
  return (
    <AppFrame title="ModelPlane console" who={`${name} · operator`} nav={NAV}>
      {children}
    </AppFrame>
  );
}

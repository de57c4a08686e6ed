import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

/** Every page, lazy so the first load stays small. */
export interface PageRoute {
  pattern: string;
  page: LazyExoticComponent<ComponentType<{ params: Record<string, string> }>>;
}

const page = (load: () => Promise<{ default: ComponentType<{ params: Record<string, string> }> }>) => lazy(load);

export const ROUTES: PageRoute[] = [
  { pattern: '/', page: page(() => import('./pages/OverviewPage')) },
  { pattern: '/tenants', page: page(() => import('./pages/TenantsPage')) },
  { pattern: '/tenants/:tenant', page: page(() => import('./pages/TenantPage')) },
  { pattern: '/plans', page: page(() => import('./pages/PlansPage')) },
  { pattern: '/cluster', page: page(() => import('./pages/ClusterPage')) },
  { pattern: '/audit', page: page(() => import('./pages/AuditPage')) },
  { pattern: '/billing', page: page(() => import('./pages/BillingPage')) },
];

export const NotFound = page(() => import('./pages/NotFoundPage'));

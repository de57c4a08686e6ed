import { lazyPage as page, type PageRoute } from '@modelplane/web-kit';

// Every page, lazy so the first load stays small; each page is its own file under pages/.
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

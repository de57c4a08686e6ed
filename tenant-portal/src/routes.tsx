import { lazyPage as page, type PageRoute } from '@modelplane/web-kit';

// Every page, lazy so the first load stays small; each page is its own file under pages/.
export const ROUTES: PageRoute[] = [
  { pattern: '/', page: page(() => import('./pages/OverviewPage')) },
  { pattern: '/models', page: page(() => import('./pages/ModelsPage')) },
  { pattern: '/models/:model', page: page(() => import('./pages/ModelPage')) },
  { pattern: '/models/:model/upload', page: page(() => import('./pages/UploadPage')) },
  { pattern: '/upload', page: page(() => import('./pages/UploadPage')) },
  { pattern: '/models/:model/try', page: page(() => import('./pages/TryItPage')) },
  { pattern: '/api-keys', page: page(() => import('./pages/ApiKeysPage')) },
  { pattern: '/usage', page: page(() => import('./pages/UsagePage')) },
  { pattern: '/billing', page: page(() => import('./pages/BillingPage')) },
  { pattern: '/audit', page: page(() => import('./pages/AuditPage')) },
  { pattern: '/members', page: page(() => import('./pages/MembersPage')) },
  { pattern: '/service-accounts', page: page(() => import('./pages/ServiceAccountsPage')) },
];

export const NotFound = page(() => import('./pages/NotFoundPage'));

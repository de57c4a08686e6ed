// What the tenant portal and the operator console share. Apps import source (Vite and tsc compile it with
// the app), so there is no separate build of this package beyond type-checking it.
export { ApiError, errorMessage, toApiError, type ApiErrorBody } from './api/errors';
export { call, createApiClient, errorOf, rawFetch, rawJson } from './api/http';
export { saveBlob } from './download';
export { clearApiKey, currentBearer, notifyUnauthorized, onUnauthorized, storedApiKey } from './auth/credentials';
export { chosenOrganization, decodeClaims, tenantsOf, type TokenClaims } from './auth/tokenTenants';
export { AuthProvider, useAuth, type AuthConfig, type AuthStatus } from './auth/AuthProvider';
export { OrganizationPicker, SignInPage, type SignInText } from './auth/SignInPage';
export { Link, appPath, href, matchPath, navigate, usePath, useSearch } from './router';
export { ErrorAlert, QueryState } from './components/QueryState';
export { ScrollTable } from './components/ScrollTable';
export { NotAllowed } from './components/NotAllowed';
export { ConfirmButton } from './components/ConfirmButton';
export { formatBytes, formatNumber, formatTime } from './format';
export { formatMoney, minorDigits, monthLabel, monthOf } from './money';
export { cssVariables, theme } from './theme';
export { StatusBadge } from './components/StatusBadge';
export { Pager } from './components/Pager';
export { IntegerInput } from './components/IntegerInput';
export { bucketSeries, STEP_MS, type Series, type Step, type UsageRowLike } from './usage';
export { detailsText, distinct, filterEvents, modelOf, pageOf, typeLabel, type AuditEvent, type AuditFilter } from './audit';
export { AppFrame, type NavItem } from './components/AppFrame';
export { NotFoundPage } from './components/NotFoundPage';
export { mountApp } from './mount';
export { lazyPage, Loading, RoutedPage, type PageRoute } from './pages';
export { useAction } from './useAction';
export { SignInGate } from './auth/SignInGate';

import { useEffect, type ReactNode } from 'react';
import { Alert } from '@mantine/core';
import { ErrorAlert, Loading, RoutedPage, SignInGate, type SignInText, useAuth, usePath } from '@modelplane/web-kit';
import { Shell } from './shell/Shell';
import { useMe } from './auth/useMe';
import { NotFound, ROUTES } from './routes';

const SIGN_IN: SignInText = {
  title: 'Sign in to ModelPlane',
  keyLabel: 'API key',
  orKey: 'or use an API key',
  checkKey: (k) => (/^mp_\S+$/.test(k) ? null : 'An API key starts with mp_ (as shown when it was created).'),
  footer: "Ask your organization's tenant-admin for a key.",
};


/** Pages need to know the tenant: wait for GET /api/v1/me, explain when it fails or there is none. */
function TenantGate({ children }: { children: ReactNode }) {
  const meQ = useMe();
  const { confirmed } = useAuth();
  const ok = meQ.isSuccess;
  useEffect(() => {
    if (ok) confirmed();
  }, [ok, confirmed]);
  if (meQ.isPending) return <Loading />;
  if (meQ.isError) return <ErrorAlert error={meQ.error} title="Could not tell who you are" onRetry={() => void meQ.refetch()} />;
  if (!meQ.tenant) {
    return (
      <Alert color="yellow" title="No tenant">
        This credential belongs to no tenant (the operator key). Sign out and sign in with a tenant's key or account.
      </Alert>
    );
  }
  return <>{children}</>;
}

export function App() {
  const path = usePath();
  return (
    <SignInGate appName="portal" text={SIGN_IN}>
      <Shell>
        <TenantGate>
          <RoutedPage routes={ROUTES} notFound={NotFound} path={path} />
        </TenantGate>
      </Shell>
    </SignInGate>
  );
}

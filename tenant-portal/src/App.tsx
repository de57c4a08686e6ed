import { Suspense, useEffect, type ReactNode } from 'react';
import { Alert, Center, Loader } from '@mantine/core';
import { ErrorAlert, matchPath, OrganizationPicker, SignInPage, type SignInText, useAuth, usePath } from '@modelplane/web-kit';
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

function Loading() {
  return (
    <Center py="xl" role="status" aria-label="Loading">
      <Loader size="sm" />
    </Center>
  );
}

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
  const { status } = useAuth();
  const path = usePath();

  switch (status.kind) {
    case 'loading':
      return <Loading />;
    case 'error':
      return (
        <Center mih="100vh" p="md" component="main">
          <ErrorAlert error={status.error} title="The portal could not start" onRetry={() => location.reload()} />
        </Center>
      );
    case 'signedOut':
      return <SignInPage notice={status.notice} text={SIGN_IN} />;
    case 'chooseOrganization':
      return <OrganizationPicker tenants={status.tenants} />;
    case 'signedIn':
      break;
  }

  let Page = NotFound;
  let params: Record<string, string> = {};
  for (const r of ROUTES) {
    const m = matchPath(r.pattern, path);
    if (m) {
      Page = r.page;
      params = m;
      break;
    }
  }
  return (
    <Shell>
      <TenantGate>
        <Suspense fallback={<Loading />}>
          <Page key={path} params={params} />
        </Suspense>
      </TenantGate>
    </Shell>
  );
}

import { Suspense } from 'react';
import { Center, Loader } from '@mantine/core';
import { useAuth } from './auth/AuthProvider';
import { OrganizationPicker, SignInPage } from './auth/SignInPage';
import { ErrorAlert } from './components/QueryState';
import { Shell } from './shell/Shell';
import { matchPath, usePath } from './router';
import { NotFound, ROUTES } from './routes';

function Loading() {
  return (
    <Center py="xl" role="status" aria-label="Loading">
      <Loader size="sm" />
    </Center>
  );
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
      return <SignInPage notice={status.notice} />;
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
      <Suspense fallback={<Loading />}>
        <Page key={path} params={params} />
      </Suspense>
    </Shell>
  );
}

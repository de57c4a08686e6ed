import type { ReactNode } from 'react';
import { Center } from '@mantine/core';
import { useAuth } from './AuthProvider';
import { OrganizationPicker, SignInPage, type SignInText } from './SignInPage';
import { ErrorAlert } from '../components/QueryState';
import { Loading } from '../pages';

/** Sign-in first: the app's pages once signed in; else starting, failing to start, the sign-in form or the organization choice. */
export function SignInGate({ appName, text, children }: { appName: string; text: SignInText; children: ReactNode }) {
  const { status } = useAuth();
  switch (status.kind) {
    case 'loading':
      return <Loading />;
    case 'error':
      return (
        <Center mih="100vh" p="md" component="main">
          <ErrorAlert error={status.error} title={`The ${appName} could not start`} onRetry={() => location.reload()} />
        </Center>
      );
    case 'signedOut':
      return <SignInPage notice={status.notice} text={text} />;
    case 'chooseOrganization':
      return <OrganizationPicker tenants={status.tenants} />;
    case 'signedIn':
      return <>{children}</>;
  }
}

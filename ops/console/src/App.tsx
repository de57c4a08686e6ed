import { useEffect, type ReactNode } from 'react';
import { Button, Center, Paper, Stack, Text, Title } from '@mantine/core';
import { ErrorAlert, Loading, RoutedPage, SignInGate, useAuth, usePath, type SignInText } from '@modelplane/web-kit';
import { Shell } from './Shell';
import { useMe } from './api/me';
import { NotFound, ROUTES } from './routes';

const SIGN_IN: SignInText = {
  title: 'Sign in to the ModelPlane console',
  keyLabel: 'Operator key',
  orKey: 'or use the operator key',
  checkKey: (k) => (k.length >= 16 ? null : 'Paste the whole operator key (MODELPLANE_OPERATOR_KEY).'),
  footer: 'The console is for the people who run the platform. Tenants use the portal at /portal/.',
};


/** Someone signed in who is not an operator: say so plainly, with the way out. */
function NotAnOperator({ who }: { who: string }) {
  const { signOut } = useAuth();
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="lg" w="100%" maw={480} component="main">
        <Stack>
          <Title order={1} size="h2">
            This console is for platform operators
          </Title>
          <Text>
            You are signed in as {who}, which is not an operator. Tenants manage their models, keys and usage in the portal.
          </Text>
          <Button component="a" href="/portal/" variant="default">
            Go to the tenant portal
          </Button>
          <Button onClick={() => void signOut()}>Sign out</Button>
        </Stack>
      </Paper>
    </Center>
  );
}

/** Pages need the operator: ask GET /api/v1/me once, explain when it fails or is someone else. */
function OperatorGate({ children }: { children: (name: string) => ReactNode }) {
  const meQ = useMe();
  const { confirmed } = useAuth();
  const ok = meQ.isSuccess;
  useEffect(() => {
    if (ok) confirmed();
  }, [ok, confirmed]);
  if (meQ.isPending) return <Loading />;
  if (meQ.isError) {
    return (
      <Center mih="100vh" p="md" component="main">
        <ErrorAlert error={meQ.error} title="Could not tell who you are" onRetry={() => void meQ.refetch()} />
      </Center>
    );
  }
  const me = meQ.data;
  if (me.role !== 'operator') {
    return <NotAnOperator who={`${me.name} (${me.role}${me.tenant ? ` of ${me.tenant}` : ''})`} />;
  }
  return <>{children(me.name)}</>;
}

export function App() {
  const path = usePath();
  return (
    <SignInGate appName="console" text={SIGN_IN}>
      <OperatorGate>
        {(name) => (
          <Shell name={name}>
            <RoutedPage routes={ROUTES} notFound={NotFound} path={path} />
          </Shell>
        )}
      </OperatorGate>
    </SignInGate>
  );
}

import { useState, type FormEvent } from 'react';
import { Alert, Button, Center, Divider, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useAuth } from './AuthProvider';

/** What differs between the apps' sign-in pages. */
export interface SignInText {
  /** the heading, e.g. "Sign in to ModelPlane" */
  title: string;
  /** the key field's label ("API key", "Operator key") */
  keyLabel: string;
  /** the divider before the key form in Keycloak mode ("or use an API key") */
  orKey: string;
  /** why a typed key cannot be one, or null when it may be */
  checkKey: (key: string) => string | null;
  /** a line under the form: where keys come from */
  footer: string;
}

/** API-key sign-in (every mode) and, in Keycloak mode, sign-in through Keycloak. */
export function SignInPage({ notice, text }: { notice?: string; text: SignInText }) {
  const { config, signInWithKey, signInWithKeycloak } = useAuth();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const keycloak = config?.mode === 'keycloak';

  function submit(e: FormEvent) {
    e.preventDefault();
    const k = key.trim();
    const problem = text.checkKey(k);
    if (problem) {
      setError(problem);
      return;
    }
    signInWithKey(k);
  }

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="lg" w="100%" maw={420} component="main">
        <Stack>
          <Title order={1} size="h2">
            {text.title}
          </Title>
          {notice && (
            <Alert color="yellow" role="status">
              {notice}
            </Alert>
          )}
          {keycloak && (
            <>
              <Button onClick={() => void signInWithKeycloak()}>Continue with Keycloak</Button>
              <Divider label={text.orKey} labelPosition="center" />
            </>
          )}
          <form onSubmit={submit} noValidate>
            <Stack>
              <PasswordInput
                label={text.keyLabel}
                description="Kept in this tab only; closing the tab or signing out forgets it."
                value={key}
                onChange={(e) => {
                  setKey(e.currentTarget.value);
                  setError(null);
                }}
                error={error}
                autoComplete="off"
                required
              />
              <Button type="submit" variant={keycloak ? 'default' : 'filled'}>
                Sign in
              </Button>
            </Stack>
          </form>
          <Text size="xs" c="dimmed">
            {text.footer}
          </Text>
        </Stack>
      </Paper>
    </Center>
  );
}

/** A person in several tenants picks the one to work in (Keycloak signs in again for it). */
export function OrganizationPicker({ tenants }: { tenants: string[] }) {
  const { chooseOrganization, signOut } = useAuth();
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="lg" w="100%" maw={420} component="main">
        <Stack>
          <Title order={1} size="h2">
            Choose an organization
          </Title>
          <Text size="sm">You belong to several organizations; work in one at a time.</Text>
          {tenants.map((t) => (
            <Button key={t} variant="default" onClick={() => void chooseOrganization(t)}>
              {t}
            </Button>
          ))}
          <Button variant="subtle" onClick={() => void signOut()}>
            Sign out
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}

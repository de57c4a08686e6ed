import { useState } from 'react';
import { Code, Group, Stack, Table, Text, Textarea, Title, VisuallyHidden } from '@mantine/core';
import { useMe } from '../auth/useMe';
import { ConfirmButton, NotAllowed, QueryState, ScrollTable } from '@modelplane/web-kit';
import { KeycloakOnly } from '../components/access/KeycloakOnly';
import { NameRoleForm } from '../components/access/NameRoleForm';
import { SecretOnce } from '../components/access/SecretOnce';
import {
  useCreateServiceAccount,
  useDeleteServiceAccount,
  useRotateServiceAccount,
  useServiceAccounts,
  type ServiceAccount,
  type ServiceAccountSecret,
} from '../features/access/api';
import { serviceAccountNameProblem } from '../features/access/roles';
import { shellQuote } from '../features/tryit/tensor';

export default function ServiceAccountsPage() {
  const { can, isPending } = useMe();
  const allowed = can('manageAccess');
  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Service accounts</Title>
        <Text c="dimmed">Programs that get tokens from Keycloak with a client id and secret (client credentials).</Text>
      </div>
      <KeycloakOnly what="Service accounts">
        {isPending ? null : allowed.allowed ? <Accounts /> : <NotAllowed reason={allowed.reason} />}
      </KeycloakOnly>
    </Stack>
  );
}

function Accounts() {
  const accountsQ = useServiceAccounts(true);
  const [secret, setSecret] = useState<{ secret: ServiceAccountSecret; rotated: boolean } | null>(null);
  return (
    <>
      <CreateForm onCreated={(s) => setSecret({ secret: s, rotated: false })} />
      {secret && <SecretShown {...secret} onDone={() => setSecret(null)} />}
      <section aria-labelledby="accounts-heading">
        <Title order={2} size="h3" id="accounts-heading" mb="sm">
          Accounts
        </Title>
        <QueryState
          query={accountsQ}
          label="service accounts"
          isEmpty={(d) => d.length === 0}
          empty={<Text c="dimmed">No service accounts yet. Create one above.</Text>}
        >
          {(accounts) => <AccountTable accounts={accounts} onRotated={(s) => setSecret({ secret: s, rotated: true })} />}
        </QueryState>
      </section>
    </>
  );
}

function SecretShown({ secret, rotated, onDone }: { secret: ServiceAccountSecret; rotated: boolean; onDone: () => void }) {
  const curl = `curl -sS ${shellQuote(secret.tokenUrl)} \\\n  -d grant_type=client_credentials \\\n  -d client_id=${shellQuote(secret.clientId)} \\\n  -d client_secret="$CLIENT_SECRET"`;
  return (
    <SecretOnce
      title={rotated ? `New secret for ${secret.clientId}` : `Service account ${secret.clientId} created (${secret.role})`}
      label="The client secret"
      value={secret.clientSecret}
      copyLabel="Copy secret"
      onDone={onDone}
    >
      <Text size="sm">
        Client id: <Code>{secret.clientId}</Code>
      </Text>
      <Text size="sm">
        Token URL: <Code style={{ wordBreak: 'break-all' }}>{secret.tokenUrl}</Code>
      </Text>
      {rotated && <Text size="sm">The old secret gets no more tokens; tokens it already got run out within their lifetime.</Text>}
      <Text size="sm">To get a token, put the secret in CLIENT_SECRET first:</Text>
      <Textarea
        label="Token request with curl"
        value={curl}
        readOnly
        autosize
        spellCheck={false}
        styles={{ input: { fontFamily: 'monospace', fontSize: 13, wordBreak: 'break-all' } }}
      />
    </SecretOnce>
  );
}

function CreateForm({ onCreated }: { onCreated: (s: ServiceAccountSecret) => void }) {
  const create = useCreateServiceAccount();
  return (
    <NameRoleForm
      title="Create a service account"
      id="create-account-heading"
      field="Name"
      description="Lowercase letters, digits and -, up to 40"
      defaultRole="predictor"
      submitLabel="Create service account"
      problem={(t) => serviceAccountNameProblem(t.trim())}
      pending={create.isPending}
      error={create.error}
      onSubmit={async (name, role) => onCreated(await create.mutateAsync({ name, role }))}
    />
  );
}

function AccountTable({ accounts, onRotated }: { accounts: ServiceAccount[]; onRotated: (s: ServiceAccountSecret) => void }) {
  const rotate = useRotateServiceAccount();
  const remove = useDeleteServiceAccount();
  const sorted = [...accounts].sort((a, b) => (a.clientId ?? '').localeCompare(b.clientId ?? ''));
  return (
    <ScrollTable label="Service accounts table" minWidth={560}>
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Client id</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Enabled</Table.Th>
            <Table.Th>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sorted.map((a) => (
            <Table.Tr key={a.id}>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {a.clientId}
                </Text>
              </Table.Td>
              <Table.Td>{a.role}</Table.Td>
              <Table.Td>{a.enabled === false ? 'no (organization suspended)' : 'yes'}</Table.Td>
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  <ConfirmButton
                    size="xs" variant="light"
                    label="Rotate secret"
                    ariaLabel={`Rotate secret of ${a.clientId}`}
                    color="orange"
                    title={`Rotate the secret of ${a.clientId}?`}
                    message="A new secret is made and shown once; the old one gets no more tokens."
                    confirmLabel="Rotate secret"
                    onConfirm={async () => onRotated(await rotate.mutateAsync(a.id ?? ''))}
                  />
                  <ConfirmButton
                    size="xs" variant="light" color="red"
                    label="Delete"
                    ariaLabel={`Delete ${a.clientId}`}
                    title={`Delete ${a.clientId}?`}
                    message="Its client is removed from Keycloak; tokens it got are refused from now on. This cannot be undone."
                    confirmLabel="Delete service account"
                    onConfirm={() => remove.mutateAsync(a.id ?? '')}
                  />
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}

import { useState } from 'react';
import { Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useMe } from '../auth/useMe';
import { ConfirmButton, ErrorAlert, formatTime, NotAllowed, pageOf, Pager, QueryState, ScrollTable } from '@modelplane/web-kit';
import { NameRoleForm } from '../components/access/NameRoleForm';
import { SecretOnce } from '../components/access/SecretOnce';
import { useApiKeys, useCreateApiKey, useRevokeApiKey, type NewApiKey } from '../features/access/api';
import { keyNameProblem } from '../features/access/roles';

const PAGE_SIZE = 20;

export default function ApiKeysPage() {
  const { can, isPending } = useMe();
  const allowed = can('manageAccess');
  // asked even for a role that may not list keys: the server's refusal is shown as it words it
  const keysQ = useApiKeys(!isPending);
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const [page, setPage] = useState(1);

  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>API keys</Title>
        <Text c="dimmed">Keys let programs call the API as this organization, each with one role.</Text>
      </div>
      {isPending ? null : !allowed.allowed ? (
        <>
          <NotAllowed reason={allowed.reason} />
          {keysQ.isError && <ErrorAlert error={keysQ.error} title="The server refused to list the keys" />}
        </>
      ) : (
        <>
          <CreateKeyForm onCreated={setCreated} />
          {created?.key && (
            <SecretOnce
              title={`Key “${created.name}” created (${created.role})`}
              label="The new API key"
              value={created.key}
              copyLabel="Copy key"
              onDone={() => setCreated(null)}
            />
          )}
          <section aria-labelledby="keys-heading">
            <Title order={2} size="h3" id="keys-heading" mb="sm">
              Active keys
            </Title>
            <QueryState
              query={keysQ}
              label="API keys"
              isEmpty={(d) => d.length === 0}
              empty={<Text c="dimmed">No active keys. Create one above.</Text>}
            >
              {(keys) => {
                const sorted = [...keys].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
                const shown = pageOf(sorted, page, PAGE_SIZE);
                return (
                  <Stack gap="sm">
                    <KeyTable keys={shown.items} />
                    <Pager page={shown.page} pages={shown.pages} onPage={setPage} label="API keys" />
                  </Stack>
                );
              }}
            </QueryState>
          </section>
        </>
      )}
    </Stack>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (k: NewApiKey) => void }) {
  const create = useCreateApiKey();
  return (
    <NameRoleForm
      title="Create a key"
      id="create-key-heading"
      field="Name"
      description="What or who the key is for"
      maxLength={100}
      defaultRole="developer"
      submitLabel="Create key"
      problem={keyNameProblem}
      pending={create.isPending}
      error={create.error}
      onSubmit={async (name, role) => onCreated(await create.mutateAsync({ name, role }))}
    />
  );
}

function KeyTable({ keys }: { keys: ReadonlyArray<{ id?: string; name?: string; role?: string; createdAt?: string; createdBy?: string; lastUsedAt?: string | null }> }) {
  const revoke = useRevokeApiKey();
  return (
    <ScrollTable label="API keys table" minWidth={640}>
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Key id</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Last used</Table.Th>
            <Table.Th>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {keys.map((k) => (
            <Table.Tr key={k.id}>
              <Table.Td>{k.name}</Table.Td>
              <Table.Td>{k.role}</Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {k.id}
                </Text>
              </Table.Td>
              <Table.Td>
                {formatTime(k.createdAt)}
                {k.createdBy && (
                  <Text size="xs" c="dimmed">
                    by {k.createdBy}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>{k.lastUsedAt ? formatTime(k.lastUsedAt) : 'never'}</Table.Td>
              <Table.Td>
                <ConfirmButton
                  size="xs" variant="light" color="red"
                  label="Revoke"
                  ariaLabel={`Revoke ${k.name ?? k.id}`}
                  title={`Revoke the key “${k.name ?? k.id}”?`}
                  message="Programs using it are refused from the next request on. A key you are signed in with signs you out. This cannot be undone."
                  confirmLabel="Revoke key"
                  onConfirm={() => revoke.mutateAsync(k.id ?? '')}
                />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}

import { useState } from 'react';
import { Alert, NativeSelect, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { ConfirmButton, errorMessage, NotAllowed, QueryState, ScrollTable } from '@modelplane/web-kit';
import { useMe } from '../auth/useMe';
import { KeycloakOnly } from '../components/access/KeycloakOnly';
import { NameRoleForm } from '../components/access/NameRoleForm';
import { useChangeMemberRole, useInviteMember, useMembers, useRemoveMember, type Member } from '../features/access/api';
import { invitee, isRole, roleData } from '../features/access/roles';

export default function MembersPage() {
  const { can, isPending } = useMe();
  const allowed = can('manageAccess');
  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Members</Title>
        <Text c="dimmed">People who sign in to this organization through Keycloak, each with one role.</Text>
      </div>
      <KeycloakOnly what="Members">
        {isPending ? null : allowed.allowed ? <Members /> : <NotAllowed reason={allowed.reason} />}
      </KeycloakOnly>
    </Stack>
  );
}

function Members() {
  const membersQ = useMembers(true);
  return (
    <>
      <InviteForm />
      <section aria-labelledby="members-heading">
        <Title order={2} size="h3" id="members-heading" mb="sm">
          People
        </Title>
        <QueryState
          query={membersQ}
          label="members"
          isEmpty={(d) => d.length === 0}
          empty={<Text c="dimmed">No members yet. Invite someone above.</Text>}
        >
          {(members) => <MemberTable members={members} />}
        </QueryState>
      </section>
    </>
  );
}

function InviteForm() {
  const invite = useInviteMember();
  const [result, setResult] = useState<Member | null>(null);
  return (
    <NameRoleForm
      title="Invite a person"
      id="invite-heading"
      field="E-mail or username"
      description="Someone new gets an account, with a password to set at first sign-in"
      defaultRole="developer"
      submitLabel="Invite"
      problem={(t) => (invitee(t) ? null : 'Enter an e-mail address or a username.')}
      pending={invite.isPending}
      error={invite.error}
      onSubmit={async (text, role) => {
        setResult(null);
        setResult(await invite.mutateAsync({ ...(invitee(text) as NonNullable<ReturnType<typeof invitee>>), role }));
      }}
    >
      {result && (
        <Alert color="green" role="status" withCloseButton onClose={() => setResult(null)} closeButtonLabel="Dismiss">
          {result.username ?? result.email} is now a member ({result.role}).{' '}
          {result.invitation === 'sent' && 'An e-mail with a link to set a password was sent (valid 3 days).'}
          {result.invitation === 'not_needed' && 'They already had an account and can sign in now.'}
          {result.invitation === 'not_sent' && (result.invitationNote ?? 'No e-mail was sent; tell them how to sign in.')}
        </Alert>
      )}
    </NameRoleForm>
  );
}

function MemberTable({ members }: { members: Member[] }) {
  const change = useChangeMemberRole();
  const remove = useRemoveMember();
  const sorted = [...members].sort((a, b) => (a.username ?? a.email ?? '').localeCompare(b.username ?? b.email ?? ''));
  return (
    <Stack gap="xs">
      {change.isError && (
        <Text c="red" size="sm" role="alert">
          {errorMessage(change.error)}
        </Text>
      )}
      <ScrollTable label="Members table" minWidth={560}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Username</Table.Th>
              <Table.Th>E-mail</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {sorted.map((m) => {
              const who = m.username ?? m.email ?? m.id ?? '';
              return (
                <Table.Tr key={m.id}>
                  <Table.Td>{m.username}</Table.Td>
                  <Table.Td>{m.email}</Table.Td>
                  <Table.Td>
                    <NativeSelect
                      aria-label={`Role of ${who}`}
                      size="xs"
                      data={roleData.map((r) => ({ value: r.value, label: r.value }))}
                      value={m.role}
                      disabled={change.isPending}
                      onChange={(e) => {
                        const role = e.currentTarget.value;
                        if (isRole(role) && role !== m.role) change.mutate({ memberId: m.id ?? '', role });
                      }}
                    />
                  </Table.Td>
                  <Table.Td>
                    <ConfirmButton
                      size="xs" variant="light" color="red"
                      label="Remove"
                      ariaLabel={`Remove ${who}`}
                      title={`Remove ${who} from the organization?`}
                      message="Their account stays in Keycloak, but their next tokens carry no role here."
                      confirmLabel="Remove member"
                      onConfirm={() => remove.mutateAsync(m.id ?? '')}
                    />
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </ScrollTable>
    </Stack>
  );
}

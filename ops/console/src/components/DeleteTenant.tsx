import { useState } from 'react';
import { Button, Checkbox, Group, List, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { ErrorAlert, useAction } from '@modelplane/web-kit';
import { deleteTenant } from '../api/admin';
import { confirmationMatches, type TenantDeletion } from '../lib/deletion';

/**
 * "Delete tenant": a dialog that says what goes and what stays, enabled once the tenant id is typed; a tenant
 * left in status deleting is finished the same way.
 */
export function DeleteTenant({ tenant, status, onDeleted }: { tenant: string; status: string | undefined; onDeleted: (d: TenantDeletion) => void }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [release, setRelease] = useState(false);
  const { busy, error, run } = useAction();
  const resuming = status === 'deleting';
  const label = resuming ? 'Finish deleting' : 'Delete tenant';

  const close = () => {
    if (busy) return;
    setOpen(false);
    setTyped('');
    setRelease(false);
  };

  const refresh = () => Promise.all([qc.invalidateQueries({ queryKey: ['tenants'] }), qc.invalidateQueries({ queryKey: ['tenant', tenant] })]);
  const submit = () =>
    void run(async () => {
      try {
        const result = await deleteTenant(tenant, release);
        onDeleted(result);
        setOpen(false);
        setTyped('');
        setRelease(false);
      } finally {
        // a deletion that stopped part way leaves the tenant deleting: the page shows it
        await refresh();
      }
    });

  return (
    <>
      <Button size="sm" color="red" variant="outline" onClick={() => setOpen(true)}>
        {label}
      </Button>
      <Modal opened={open} onClose={close} title={`Delete ${tenant}?`} centered size="lg">
        <form onSubmit={(e) => { e.preventDefault(); if (confirmationMatches(typed, tenant)) submit(); }}>
          <Stack>
            {resuming && <Text size="sm">A deletion of this tenant started and did not finish; this carries it on.</Text>}
            <div>
              <Text size="sm" fw={600}>Deleted, for good:</Text>
              <List size="sm">
                <List.Item>every key, token and service account is refused from the moment the deletion starts, and its keys are revoked;</List.Item>
                <List.Item>its models are unloaded and every stored artifact is deleted;</List.Item>
                <List.Item>its data key is destroyed, so no remaining copy of its artifacts can be decrypted again.</List.Item>
              </List>
            </div>
            <div>
              <Text size="sm" fw={600}>Kept:</Text>
              <List size="sm">
                <List.Item>the audit log, and the usage and billing records.</List.Item>
              </List>
            </div>
            <Text size="sm">This cannot be undone. Export the tenant’s data first if it is still needed.</Text>
            <TextInput label={`Type the tenant id ${tenant} to confirm`} value={typed} onChange={(e) => setTyped(e.currentTarget.value)}
              autoComplete="off" spellCheck={false} data-autofocus />
            <Checkbox label="Release the tenant id for reuse" description="Otherwise the id stays reserved and no new tenant can take it."
              checked={release} onChange={(e) => setRelease(e.currentTarget.checked)} />
            {error !== null && <ErrorAlert error={error} title="The tenant was not deleted" />}
            <Group justify="flex-end">
              <Button variant="default" onClick={close} disabled={busy}>
                Cancel
              </Button>
              <Button type="submit" color="red" loading={busy} disabled={!confirmationMatches(typed, tenant)}>
                Delete {tenant}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

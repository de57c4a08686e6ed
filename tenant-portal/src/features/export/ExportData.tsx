import { useState } from 'react';
import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { ErrorAlert, formatBytes, saveBlob, useAction } from '@modelplane/web-kit';
import type { Permission } from '../../auth/permissions';
import { exportTenant } from './export';

/** "Export data": the tenant's whole data as one zip, downloaded with the signed-in credential. */
export function ExportData({ tenant, allowed }: { tenant: string; allowed: Permission }) {
  const { busy, error, run } = useAction();
  const [received, setReceived] = useState(0);
  const [saved, setSaved] = useState<string | null>(null);

  const start = () =>
    void run(async () => {
      setSaved(null);
      setReceived(0);
      const archive = await exportTenant(tenant, setReceived);
      saveBlob(archive.fileName, archive.blob);
      setSaved(archive.fileName);
    });

  return (
    <Stack gap="xs">
      <Text size="sm">
        One zip archive of everything this tenant holds: its profile and API key names (never secrets), every model with
        its versions’ manifests and artifacts, deployment history, per-minute usage (CSV) and the audit log (JSON).
      </Text>
      <Group gap="sm">
        <Button variant="default" onClick={start} loading={busy} disabled={!allowed.allowed}
          aria-describedby={allowed.allowed ? undefined : 'export-not-allowed'}>
          Export data
        </Button>
        {busy && (
          <Text size="sm" role="status" aria-live="polite">
            Preparing the archive… {received > 0 && `${formatBytes(received)} received`}
          </Text>
        )}
        {!busy && saved && (
          <Text size="sm" role="status" aria-live="polite">
            Saved as {saved}.
          </Text>
        )}
      </Group>
      {!allowed.allowed && (
        <Alert color="gray" id="export-not-allowed">
          {allowed.reason}
        </Alert>
      )}
      {error !== null && <ErrorAlert error={error} title="The data was not exported" />}
    </Stack>
  );
}

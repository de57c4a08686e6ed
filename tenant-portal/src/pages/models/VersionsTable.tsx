import { Badge, Button, CopyButton, Code, Group, Stack, Table, Text } from '@mantine/core';
import type { Version } from '../../api/queries';
import { ConfirmButton, formatBytes, formatTime } from '@modelplane/web-kit';
import { describeTensor } from './tensors';

export function VersionsTable({
  versions,
  canArchive,
  onArchive,
}: {
  versions: Version[];
  canArchive: boolean;
  onArchive: (version: number) => Promise<unknown>;
}) {
  if (versions.length === 0) return <Text c="dimmed">No versions yet.</Text>;
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Version</Table.Th>
            <Table.Th>sha256</Table.Th>
            <Table.Th>Size</Table.Th>
            <Table.Th>Format</Table.Th>
            <Table.Th>Inputs / outputs</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>State</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {[...versions].reverse().map((v) => (
            <Table.Tr key={v.version}>
              <Table.Td>{v.version}</Table.Td>
              <Table.Td>
                <Group gap={4} wrap="nowrap">
                  <Code title={v.sha256}>{v.sha256?.slice(0, 12)}…</Code>
                  <CopyButton value={v.sha256 ?? ''}>
                    {({ copied, copy }) => (
                      <Button
                        variant="subtle"
                        size="compact-xs"
                        onClick={copy}
                        aria-label={copied ? `Copied sha256 of version ${v.version}` : `Copy sha256 of version ${v.version}`}
                      >
                        {copied ? 'Copied' : 'Copy'}
                      </Button>
                    )}
                  </CopyButton>
                </Group>
              </Table.Td>
              <Table.Td>{formatBytes(v.sizeBytes ?? 0)}</Table.Td>
              <Table.Td>{v.format}</Table.Td>
              <Table.Td>
                <Stack gap={0}>
                  {(v.inputs ?? []).map((t) => (
                    <Text key={`i-${t.name}`} size="xs">
                      in: {describeTensor(t)}
                    </Text>
                  ))}
                  {(v.outputs ?? []).map((t) => (
                    <Text key={`o-${t.name}`} size="xs">
                      out: {describeTensor(t)}
                    </Text>
                  ))}
                </Stack>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{formatTime(v.createdAt)}</Text>
                <Text size="xs" c="dimmed">
                  {v.createdBy}
                </Text>
              </Table.Td>
              <Table.Td>
                {v.archived ? (
                  <Badge color="gray">
                    archived
                  </Badge>
                ) : canArchive ? (
                  <ConfirmButton
                    size="xs"
                    variant="default"
                    label="Archive"
                    ariaLabel={`Archive version ${v.version}`}
                    title={`Archive version ${v.version}?`}
                    message="An archived version can no longer be deployed or predicted. Only versions no current or rollback-reachable revision uses can be archived."
                    confirmLabel="Archive"
                    onConfirm={() => onArchive(v.version ?? 0)}
                  />
                ) : (
                  <Text size="xs">active</Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

import { Table, Text } from '@mantine/core';
import type { Model } from '../../api/queries';
import { StatusBadge } from '@modelplane/web-kit';

/** Each replica's state, refreshed by the page's polling. */
export function Replicas({ replicas }: { replicas: NonNullable<Model['replicas']> }) {
  if (replicas.length === 0) return <Text c="dimmed">No replicas: the model is not deployed.</Text>;
  return (
    <Table aria-live="polite" style={{ overflowWrap: 'anywhere' }}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Version</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>Worker</Table.Th>
            <Table.Th>Reason</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {replicas.map((r, i) => (
            <Table.Tr key={`${r.version}-${r.worker ?? i}-${i}`}>
              <Table.Td>{r.version}</Table.Td>
              <Table.Td>
                <StatusBadge status={r.state} />
              </Table.Td>
              <Table.Td>{r.worker ?? '–'}</Table.Td>
              <Table.Td>{r.reason ?? ''}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
  );
}

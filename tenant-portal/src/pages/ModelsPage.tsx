import { Anchor, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useModels } from '../api/queries';
import { useMe } from '../auth/useMe';
import { formatTime, Link, QueryState } from '@modelplane/web-kit';

export default function ModelsPage() {
  const modelsQ = useModels();
  const { can } = useMe();
  const write = can('writeModels');
  return (
    <Stack gap="lg">
      <Group justify="space-between" wrap="wrap">
        <Title order={1}>Models</Title>
        {write.allowed && (
          <Button component={Link} to="/upload">
            Upload a new model
          </Button>
        )}
      </Group>
      <QueryState
        query={modelsQ}
        label="models"
        isEmpty={(d) => d.length === 0}
        empty={<Text c="dimmed">No models yet.{write.allowed ? ' Upload one to start.' : ''}</Text>}
      >
        {(models) => (
          <Table.ScrollContainer minWidth={360}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Versions</Table.Th>
                  <Table.Th>Traffic</Table.Th>
                  <Table.Th visibleFrom="sm">Created</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {models.map((m) => {
                  const versions = m.versions ?? [];
                  const active = versions.filter((v) => !v.archived).length;
                  return (
                    <Table.Tr key={m.name}>
                      <Table.Td>
                        <Anchor component={Link} to={`/models/${encodeURIComponent(m.name ?? '')}`}>
                          {m.name}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        {active}
                        {versions.length > active ? ` (+${versions.length - active} archived)` : ''}
                      </Table.Td>
                      <Table.Td>
                        {m.deployment?.traffic
                          ? Object.entries(m.deployment.traffic)
                              .map(([v, p]) => `v${v}: ${p}%`)
                              .join(', ')
                          : 'not deployed'}
                      </Table.Td>
                      <Table.Td visibleFrom="sm">{formatTime(m.createdAt)}</Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryState>
    </Stack>
  );
}

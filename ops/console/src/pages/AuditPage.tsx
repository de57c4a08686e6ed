import { useState, type FormEvent } from 'react';
import { Alert, Button, Group, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { detailsText, formatTime, Link, QueryState, ScrollTable, typeLabel, useSearch } from '@modelplane/web-kit';
import { api, call } from '../api/client';
import { PAGE_SIZE } from '../api/admin';
import { EMPTY_AUDIT, auditQuery, type AuditForm } from '../lib/audit';
import { FIRST_PAGE, cursorOf } from '../lib/tenants';
import { CursorPager } from '../components/CursorPager';

export default function AuditPage() {
  const search = useSearch();
  const start: AuditForm = { ...EMPTY_AUDIT, tenant: search.get('tenant') ?? '' };
  const [form, setForm] = useState<AuditForm>(start);
  const [applied, setApplied] = useState<AuditForm>(start);
  const [pages, setPages] = useState(FIRST_PAGE);
  const built = auditQuery(applied, PAGE_SIZE, cursorOf(pages));
  const typed = auditQuery(form, PAGE_SIZE);
  const problem = 'problem' in typed ? typed.problem : null;

  const auditQ = useQuery({
    queryKey: ['audit', applied, cursorOf(pages)],
    enabled: 'query' in built,
    placeholderData: keepPreviousData,
    queryFn: () => call(api.GET('/api/v1/admin/audit', { params: { query: 'query' in built ? built.query : {} } })),
  });

  function apply(e: FormEvent) {
    e.preventDefault();
    if (problem) return;
    setApplied(form);
    setPages(FIRST_PAGE);
  }

  const field = (key: keyof AuditForm, label: string, type = 'text') => (
    <TextInput label={label} type={type} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.currentTarget.value })} />
  );

  return (
    <Stack>
      <Title order={1}>Audit</Title>
      <Text size="sm" c="dimmed">
        Every change to tenants and models, oldest first, with who made it.
      </Text>
      <form onSubmit={apply} aria-label="Audit filters">
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 3, lg: 6 }}>
            {field('tenant', 'Tenant')}
            {field('model', 'Model')}
            {field('actor', 'Actor')}
            {field('type', 'Event type')}
            {field('from', 'From', 'datetime-local')}
            {field('to', 'To', 'datetime-local')}
          </SimpleGrid>
          {problem && <Alert color="red">{problem}</Alert>}
          <Group>
            <Button type="submit">Apply filters</Button>
            <Button variant="default" onClick={() => {
              setForm(EMPTY_AUDIT);
              setApplied(EMPTY_AUDIT);
              setPages(FIRST_PAGE);
            }}>
              Clear
            </Button>
          </Group>
        </Stack>
      </form>
      <QueryState query={auditQ} label="the audit log" isEmpty={(d) => (d.entries ?? []).length === 0}
        empty={<Text c="dimmed">No change matches these filters.</Text>}>
        {(d) => (
          <Stack>
            <ScrollTable label="Audit log table" minWidth={900}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>When</Table.Th>
                    <Table.Th>Tenant</Table.Th>
                    <Table.Th>Model</Table.Th>
                    <Table.Th>Change</Table.Th>
                    <Table.Th>Actor</Table.Th>
                    <Table.Th>Details</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {(d.entries ?? []).map((e, i) => (
                    <Table.Tr key={`${e.time}-${i}`}>
                      <Table.Td>{formatTime(e.time)}</Table.Td>
                      <Table.Td>{e.tenant && <Link to={`/tenants/${encodeURIComponent(e.tenant)}`}>{e.tenant}</Link>}</Table.Td>
                      <Table.Td>{e.model ?? ''}</Table.Td>
                      <Table.Td title={e.type}>{typeLabel(e.type ?? '')}</Table.Td>
                      <Table.Td>{e.actor}</Table.Td>
                      <Table.Td>{detailsText((e.summary ?? {}) as Record<string, unknown>)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollTable>
            <CursorPager pages={pages} next={d.next} onPages={setPages} label="Audit" />
          </Stack>
        )}
      </QueryState>
    </Stack>
  );
}

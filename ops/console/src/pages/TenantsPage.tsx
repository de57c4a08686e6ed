import { useEffect, useState, type FormEvent } from 'react';
import { Alert, Button, Group, Modal, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { ErrorAlert, formatTime, Link, navigate, QueryState, ScrollTable, useAction, useSearch } from '@modelplane/web-kit';
import { createTenant, usePlans, useTenantPage } from '../api/admin';
import { TenantStatus } from '../components/StatusBadge';
import { SuspendResume } from '../components/TenantActions';
import { gone } from '../lib/deletion';
import { FIRST_PAGE, cursorOf, filtersFromSearch, searchOf, tenantIdProblem, type TenantFilters } from '../lib/tenants';
import { CursorPager } from '../components/CursorPager';

function CreateTenant({ plans, onClose }: { plans: string[] | null; onClose: () => void }) {
  const qc = useQueryClient();
  const [id, setId] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [plan, setPlan] = useState('default');
  const [idError, setIdError] = useState<string | null>(null);
  const { busy, error, run } = useAction();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const problem = tenantIdProblem(id.trim());
    setIdError(problem);
    if (problem) return;
    const body = { id: id.trim(), displayName: displayName.trim() || id.trim(), ...(plans ? { plan } : {}) };
    const done = await run(async () => {
      await createTenant(body);
      await qc.invalidateQueries({ queryKey: ['tenants'] });
    });
    if (done) {
      onClose();
      navigate(`/tenants/${encodeURIComponent(body.id)}`);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput label="Tenant id" description="3–40 lowercase letters, digits or dashes; cannot change later." value={id}
          onChange={(e) => setId(e.currentTarget.value)} error={idError} required data-autofocus />
        <TextInput label="Display name" value={displayName} onChange={(e) => setDisplayName(e.currentTarget.value)} />
        {plans && <NativeSelect label="Plan" data={plans} value={plan} onChange={(e) => setPlan(e.currentTarget.value)} />}
        {error !== null && <ErrorAlert error={error} title="The tenant was not created" />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            Create tenant
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function TenantsPage() {
  const search = useSearch();
  const [filters, setFilters] = useState<TenantFilters>(() => filtersFromSearch(search));
  const [text, setText] = useState(filters.q);
  const [debounced] = useDebouncedValue(text, 300);
  const [pages, setPages] = useState(FIRST_PAGE);
  const [creating, setCreating] = useState(false);
  const plansQ = usePlans();
  const planIds = plansQ.data ? plansQ.data.map((p) => p.id) : null;

  useEffect(() => {
    setFilters((f) => (f.q === debounced ? f : { ...f, q: debounced }));
  }, [debounced]);
  useEffect(() => {
    setPages(FIRST_PAGE);
    history.replaceState(null, '', `${location.pathname}${searchOf(filters)}`);
  }, [filters]);

  const tenantsQ = useTenantPage(filters, cursorOf(pages));

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Tenants</Title>
        <Button onClick={() => setCreating(true)}>Create tenant</Button>
      </Group>
      <Group align="flex-end" wrap="wrap">
        <TextInput label="Search tenants" placeholder="id or name" value={text} onChange={(e) => setText(e.currentTarget.value)} w={260} type="search" />
        <NativeSelect label="Status" value={filters.status} w={160}
          data={[{ value: '', label: 'Any status' }, { value: 'active', label: 'Active' }, { value: 'suspended', label: 'Suspended' }, { value: 'deleted', label: 'Deleted' }]}
          onChange={(e) => setFilters({ ...filters, status: e.currentTarget.value as TenantFilters['status'] })} />
        <NativeSelect label="Plan" value={filters.plan} w={180} disabled={!planIds}
          data={[{ value: '', label: 'Any plan' }, ...(planIds ?? []).map((p) => ({ value: p, label: p }))]}
          onChange={(e) => setFilters({ ...filters, plan: e.currentTarget.value })} />
      </Group>
      <QueryState query={tenantsQ} label="tenants" isEmpty={(d) => d.tenants.length === 0}
        empty={<Text c="dimmed">No tenant matches these filters.</Text>}>
        {(data) => (
          <Stack>
            <ScrollTable label="Tenants table" minWidth={760}>
              <Table striped highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Tenant</Table.Th>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Plan</Table.Th>
                    <Table.Th>Models</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Actions</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.tenants.map((t) => (
                    <Table.Tr key={t.id}>
                      <Table.Td>
                        <Link to={`/tenants/${encodeURIComponent(t.id ?? '')}`}>{t.id}</Link>
                      </Table.Td>
                      <Table.Td>{t.displayName}</Table.Td>
                      <Table.Td>
                        <TenantStatus status={t.status} />
                      </Table.Td>
                      <Table.Td>{t.plan ?? 'default'}</Table.Td>
                      <Table.Td>{t.models?.length ?? 0}</Table.Td>
                      <Table.Td>{formatTime(t.createdAt)}</Table.Td>
                      <Table.Td>
                        {!gone(t.status) && <SuspendResume tenant={t.id ?? ''} status={t.status} />}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollTable>
            <CursorPager pages={pages} next={data.next} onPages={setPages} label="Tenant" />
          </Stack>
        )}
      </QueryState>
      {plansQ.isError && (
        <Alert color="gray" title="Plans are not available">
          This node does not serve plans yet; tenants are created on the default quota.
        </Alert>
      )}
      <Modal opened={creating} onClose={() => setCreating(false)} title="Create a tenant" centered>
        <CreateTenant plans={planIds} onClose={() => setCreating(false)} />
      </Modal>
    </Stack>
  );
}

import { useMemo, useState } from 'react';
import { Alert, Anchor, Badge, Button, Card, Group, Modal, NativeSelect, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  type AuditEvent, bucketSeries, detailsText, ErrorAlert, formatNumber, formatTime, Link, QueryState, ScrollTable, StatusBadge, typeLabel, useAction, useAuth,
} from '@modelplane/web-kit';
import { TimeChart } from '@modelplane/web-kit/chart';
import { api, call, rawJson } from '../api/client';
import { patchTenant, usePlans, useTenant, useTenantBilling } from '../api/admin';
import { TenantStatus } from '../components/StatusBadge';
import { SuspendResume } from '../components/TenantActions';
import { QuotaEditor } from '../components/QuotaEditor';
import { DeleteTenant } from '../components/DeleteTenant';
import { deletionSummary, gone, type TenantDeletion } from '../lib/deletion';
import { monthOf } from '../lib/billing';
import { formatMoney } from '../lib/plans';

const p = (tenant: string) => ({ params: { path: { tenant } } });

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Card withBorder padding="sm">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text fw={600} size="lg">
        {children}
      </Text>
    </Card>
  );
}

function Models({ tenant, names }: { tenant: string; names: string[] }) {
  const shown = names.slice(0, 50);
  const models = useQueries({
    queries: shown.map((model) => ({
      queryKey: ['model', tenant, model],
      queryFn: () => call(api.GET('/api/v1/tenants/{tenant}/models/{model}', { params: { path: { tenant, model } } })),
    })),
  });
  if (names.length === 0) return <Text c="dimmed">No models yet.</Text>;
  return (
    <ScrollTable label="Models table" minWidth={420}>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Model</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Versions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.map((name, i) => {
            const q = models[i];
            return (
              <Table.Tr key={name}>
                <Table.Td>{name}</Table.Td>
                <Table.Td>{q?.data ? <StatusBadge status={q.data.status} /> : q?.isError ? 'unknown' : '…'}</Table.Td>
                <Table.Td>{q?.data?.versions?.length ?? '–'}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}

function Usage({ tenant }: { tenant: string }) {
  const usageQ = useQuery({
    queryKey: ['usage', tenant],
    refetchInterval: 30_000,
    queryFn: () => call(api.GET('/api/v1/tenants/{tenant}/usage', { params: { path: { tenant }, query: { step: 'hour' } } })),
  });
  return (
    <QueryState query={usageQ} label="usage">
      {(u) => <UsageChart rows={u.rows ?? []} from={u.from ?? ''} to={u.to ?? ''} />}
    </QueryState>
  );
}

function UsageChart({ rows, from, to }: { rows: { start?: string; requests?: number; errors?: number }[]; from: string; to: string }) {
  const s = useMemo(() => bucketSeries(rows, from, to, 'hour'), [rows, from, to]);
  const lines = useMemo(() => [
    { label: 'Requests', values: s.requests, color: '#1864ab' },
    { label: 'Errors', values: s.errors, color: '#c92a2a' },
  ], [s]);
  const requests = s.requests.reduce((a, b) => a + b, 0);
  const errors = s.errors.reduce((a, b) => a + b, 0);
  return (
    <Stack gap="xs">
      <Text size="sm">
        Last 24 hours: {formatNumber(requests)} request{requests === 1 ? '' : 's'}, {formatNumber(errors)} error{errors === 1 ? '' : 's'}.
      </Text>
      <TimeChart x={s.x} lines={lines} title={`Requests and errors per hour: ${requests} requests, ${errors} errors in 24 hours`} />
    </Stack>
  );
}

function Billing({ tenant }: { tenant: string }) {
  const month = monthOf(new Date());
  const billQ = useTenantBilling(tenant, month);
  return (
    <QueryState query={billQ} label="this month's statement">
      {(s) => (
        <Stack gap="xs">
          <Text>
            {month} so far on plan {s.plan}: <strong>{formatMoney(s.total, s.currency)}</strong> ({formatNumber(s.usage.requests)} requests,{' '}
            {formatNumber(s.usage.computeSeconds)} compute seconds, {formatNumber(s.usage.residentGiBHours, 2)} GiB-hours resident)
          </Text>
          <Anchor component={Link} to={`/billing?month=${month}`}>
            All statements of {month}
          </Anchor>
        </Stack>
      )}
    </QueryState>
  );
}

function History({ tenant }: { tenant: string }) {
  const historyQ = useQuery({
    queryKey: ['history', tenant],
    queryFn: () => rawJson<{ events?: AuditEvent[] }>(`/api/v1/tenants/${encodeURIComponent(tenant)}/history`),
  });
  return (
    <QueryState query={historyQ} label="history" isEmpty={(h) => (h.events ?? []).length === 0}>
      {(h) => (
        <ScrollTable label="History table" minWidth={640}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Change</Table.Th>
                <Table.Th>By</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[...(h.events ?? [])].reverse().slice(0, 100).map((e) => (
                <Table.Tr key={e.sequenceNr}>
                  <Table.Td>{formatTime(e.at)}</Table.Td>
                  <Table.Td>{typeLabel(e.type)}</Table.Td>
                  <Table.Td>{e.actor}</Table.Td>
                  <Table.Td>{detailsText(e.details ?? {})}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
    </QueryState>
  );
}

function Counts({ tenant }: { tenant: string }) {
  const keysQ = useQuery({ queryKey: ['keys', tenant], queryFn: () => call(api.GET('/api/v1/tenants/{tenant}/api-keys', p(tenant))) });
  // members live in Keycloak: in API-key mode there are none to ask for
  const keycloak = useAuth().config?.mode === 'keycloak';
  const membersQ = useQuery({
    queryKey: ['members', tenant],
    enabled: keycloak,
    queryFn: () => rawJson<{ members?: unknown[] }>(`/api/v1/tenants/${encodeURIComponent(tenant)}/members`),
  });
  const members = !keycloak
    ? 'API-key mode'
    : membersQ.data ? String(membersQ.data.members?.length ?? 0) : membersQ.isError ? 'unavailable' : '…';
  return (
    <>
      <Fact label="API keys">{keysQ.data ? (keysQ.data.apiKeys?.length ?? 0) : keysQ.isError ? 'unavailable' : '…'}</Fact>
      <Fact label="Members">{members}</Fact>
    </>
  );
}

function PlanChoice({ tenant, plan }: { tenant: string; plan: string }) {
  const qc = useQueryClient();
  const plansQ = usePlans();
  const [value, setValue] = useState(plan);
  const { busy, error, run } = useAction();
  if (!plansQ.data) return null;
  return (
    <Stack gap="xs">
      <Group align="flex-end">
        <NativeSelect label="Plan" data={plansQ.data.map((x) => x.id)} value={value} onChange={(e) => setValue(e.currentTarget.value)} w={200} />
        <Button variant="default" disabled={value === plan} loading={busy} onClick={() => void run(async () => {
          await patchTenant(tenant, { plan: value });
          await qc.invalidateQueries({ queryKey: ['tenant', tenant] });
        })}>
          Change plan
        </Button>
      </Group>
      {error !== null && <ErrorAlert error={error} title="The plan was not changed" />}
    </Stack>
  );
}

export default function TenantPage({ params }: { params: Record<string, string> }) {
  const tenant = params.tenant ?? '';
  const tenantQ = useTenant(tenant);
  const plansQ = usePlans();
  const [editing, setEditing] = useState(false);
  const [deletion, setDeletion] = useState<TenantDeletion | null>(null);

  return (
    <Stack>
      <Anchor component={Link} to="/tenants" size="sm">
        All tenants
      </Anchor>
      <Title order={1}>{tenant}</Title>
      {deletion && (
        <Alert color="gray" title={`${deletion.tenant} was deleted`} role="status" withCloseButton closeButtonLabel="Dismiss" onClose={() => setDeletion(null)}>
          {deletionSummary(deletion).map((line) => (
            <Text key={line} size="sm">{line}</Text>
          ))}
        </Alert>
      )}
      <QueryState query={tenantQ} label="the tenant">
        {(t) => {
          const plan = t.plan ?? 'default';
          const planQuota = plansQ.data?.find((x) => x.id === plan)?.quota;
          return (
            <Stack gap="lg">
              <Group justify="space-between">
                <Group gap="sm">
                  <Text size="lg">{t.displayName}</Text>
                  <TenantStatus status={t.status} />
                  {t.workerPool && <Badge variant="outline">pool {t.workerPool}</Badge>}
                </Group>
                {t.status !== 'deleted' && (
                  <Group gap="sm">
                    {!gone(t.status) && (
                      <>
                        <Button variant="default" size="sm" onClick={() => setEditing(true)}>
                          Edit quota overrides
                        </Button>
                        <SuspendResume tenant={tenant} status={t.status} size="sm" />
                      </>
                    )}
                    <DeleteTenant tenant={tenant} status={t.status} onDeleted={setDeletion} />
                  </Group>
                )}
              </Group>
              {t.status === 'suspended' && (
                <Alert color="red" title="Suspended">
                  Every key and member of this tenant gets 403 until it is resumed.
                </Alert>
              )}
              {t.status === 'deleting' && (
                <Alert color="orange" title="Being deleted">
                  Its credentials are refused. The deletion did not finish: use Finish deleting to carry it on.
                </Alert>
              )}
              {t.status === 'deleted' && (
                <Alert color="gray" title="Deleted">
                  Its artifacts and data key are gone; its audit log, usage and billing records are kept.
                </Alert>
              )}
              <SimpleGrid cols={{ base: 2, md: 4 }}>
                <Fact label="Plan">{plan}</Fact>
                <Fact label="Models">{t.models?.length ?? 0}</Fact>
                {t.status !== 'deleted' && <Counts tenant={tenant} />}
              </SimpleGrid>
              {!gone(t.status) && <PlanChoice tenant={tenant} plan={plan} />}
              {t.status !== 'deleted' && (
                <section aria-labelledby="models-h">
                  <Title order={2} size="h3" id="models-h" mb="xs">Models</Title>
                  <Models tenant={tenant} names={t.models ?? []} />
                </section>
              )}
              <section aria-labelledby="usage-h">
                <Title order={2} size="h3" id="usage-h" mb="xs">Usage</Title>
                <Usage tenant={tenant} />
              </section>
              <section aria-labelledby="billing-h">
                <Title order={2} size="h3" id="billing-h" mb="xs">Billing</Title>
                <Billing tenant={tenant} />
              </section>
              <section aria-labelledby="history-h">
                <Title order={2} size="h3" id="history-h" mb="xs">History</Title>
                <History tenant={tenant} />
              </section>
              <Modal opened={editing} onClose={() => setEditing(false)} title={`Quota overrides of ${tenant}`} size="xl" centered>
                <QuotaEditor tenant={tenant} quota={t.quota} overrides={t.quotaOverrides} planQuota={planQuota} onDone={() => setEditing(false)} />
              </Modal>
            </Stack>
          );
        }}
      </QueryState>
    </Stack>
  );
}

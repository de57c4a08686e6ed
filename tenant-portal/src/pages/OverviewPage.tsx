import { useMemo } from 'react';
import { useQueries } from '@tanstack/react-query';
import { Alert, Anchor, Group, Paper, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { modelQueryOptions, useModels, useTenant, useUsage } from '../api/queries';
import { useMe } from '../auth/useMe';
import { bucketSeries, ErrorAlert, formatNumber, Link, QueryState, StatusBadge } from '@modelplane/web-kit';
import { TimeChart } from '@modelplane/web-kit/chart';
import { bytesMeter, computeSeconds, meter, monthStart, recentRate, residentBytes } from '../lib/quota';
import { QuotaMeters } from './overview/QuotaMeters';
import { ExportData } from '../features/export/ExportData';

const DAY_MS = 86_400_000;

export default function OverviewPage() {
  const { me, tenant, can } = useMe();
  const tenantQ = useTenant();
  const modelsQ = useModels();
  const usageAllowed = can('readUsage');
  const now = useMemo(() => new Date(), []);
  const to = new Date(Math.ceil(now.getTime() / 3_600_000) * 3_600_000).toISOString();
  const from = new Date(Date.parse(to) - DAY_MS).toISOString();
  const dayQ = useUsage({ from, to, step: 'hour' }, usageAllowed.allowed);
  const monthQ = useUsage({ from: monthStart(now), to, step: 'day' }, usageAllowed.allowed);
  const minuteQ = useUsage({ step: 'minute' }, usageAllowed.allowed);

  const details = useQueries({
    queries: (modelsQ.data ?? []).map((m) => modelQueryOptions(tenant, m.name ?? '', 10_000)),
  });

  const quota = tenantQ.data?.quota;
  const models = modelsQ.data ?? [];
  const resident = details.every((d) => d.data)
    ? details.reduce((s, d) => s + residentBytes(d.data?.replicas ?? [], d.data?.versions ?? []), 0)
    : null;
  const maxVersions = models.reduce((m, x) => Math.max(m, (x.versions ?? []).filter((v) => !v.archived).length), 0);
  const usageNote = usageAllowed.allowed ? undefined : usageAllowed.reason;
  const meters = [
    meter('Request rate (per second)', usageAllowed.allowed && minuteQ.data ? recentRate(minuteQ.data.rows ?? [], now) : null, quota?.requestsPerSecond),
    meter('Concurrent requests', null, quota?.maxConcurrentRequests),
    meter('Models', modelsQ.data ? models.length : null, quota?.maxModels),
    meter('Versions per model (most)', modelsQ.data ? maxVersions : null, quota?.maxVersionsPerModel),
    bytesMeter('Resident bytes', resident, quota?.maxResidentBytes),
    meter(
      'Compute this month (seconds)',
      usageAllowed.allowed && monthQ.data ? computeSeconds(monthQ.data.rows ?? []) : null,
      quota?.monthlyComputeSeconds,
    ),
  ];
  const notes: Record<string, string> = {
    'Concurrent requests': 'The limit on requests in flight at once; in-flight counts are not reported.',
    'Resident bytes': 'Estimated from the artifact size of each loaded replica.',
  };
  if (usageNote) {
    notes['Request rate (per second)'] = usageNote;
    notes['Compute this month (seconds)'] = usageNote;
  }

  const series = useMemo(
    () => (dayQ.data ? bucketSeries(dayQ.data.rows ?? [], from, to, 'hour') : null),
    [dayQ.data, from, to],
  );
  const lines = useMemo(
    () =>
      series
        ? [
            { label: 'Requests', values: series.requests, color: '#1c7ed6' },
            { label: 'Errors', values: series.errors, color: '#e03131' },
          ]
        : [],
    [series],
  );

  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Overview</Title>
        <Text c="dimmed">
          {tenantQ.data?.displayName ?? tenant} {me && `· signed in as ${me.name} (${me.role})`}
        </Text>
      </div>

      <section aria-labelledby="models-heading">
        <Title order={2} size="h3" id="models-heading" mb="sm">
          Models
        </Title>
        <QueryState
          query={modelsQ}
          label="models"
          isEmpty={(d) => d.length === 0}
          empty={
            <Text c="dimmed">
              No models yet.{' '}
              {can('writeModels').allowed && (
                <Anchor component={Link} to="/upload">
                  Upload the first version
                </Anchor>
              )}
            </Text>
          }
        >
          {(list) => (
            <Table.ScrollContainer minWidth={360}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Model</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Traffic</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((m, i) => {
                    const d = details[i];
                    const dep = d?.data?.deployment ?? m.deployment;
                    return (
                      <Table.Tr key={m.name}>
                        <Table.Td>
                          <Anchor component={Link} to={`/models/${encodeURIComponent(m.name ?? '')}`}>
                            {m.name}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>
                          {d?.isPending ? (
                            <Skeleton h={18} w={80} aria-label="Loading status" />
                          ) : d?.isError ? (
                            <Text size="sm" c="red">
                              unknown
                            </Text>
                          ) : (
                            <StatusBadge status={d?.data?.status ?? (dep ? 'loading' : 'not_deployed')} />
                          )}
                        </Table.Td>
                        <Table.Td>
                          {dep?.traffic
                            ? Object.entries(dep.traffic)
                                .map(([v, p]) => `v${v}: ${p}%`)
                                .join(', ')
                            : '–'}
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </QueryState>
      </section>

      <section aria-labelledby="quota-heading">
        <Title order={2} size="h3" id="quota-heading" mb="sm">
          Quota
        </Title>
        {tenantQ.isError ? (
          <ErrorAlert error={tenantQ.error} title="Could not load the quota" onRetry={() => void tenantQ.refetch()} />
        ) : tenantQ.isPending ? (
          <Skeleton h={120} />
        ) : (
          <QuotaMeters meters={meters} notes={notes} />
        )}
      </section>

      <section aria-labelledby="traffic-heading">
        <Title order={2} size="h3" id="traffic-heading" mb="sm">
          Requests and errors, last 24 hours
        </Title>
        {!usageAllowed.allowed ? (
          <Alert color="gray">{usageAllowed.reason}</Alert>
        ) : (
          <QueryState query={dayQ} label="usage">
            {() =>
              series && (
                <Paper withBorder p="sm">
                  <Group gap="lg" mb="xs">
                    <Text size="sm">Requests: {formatNumber(sum(series.requests), 0)}</Text>
                    <Text size="sm">Errors: {formatNumber(sum(series.errors), 0)}</Text>
                  </Group>
                  <TimeChart x={series.x} lines={lines} title="Requests and errors per hour over the last 24 hours" />
                </Paper>
              )
            }
          </QueryState>
        )}
      </section>

      <section aria-labelledby="export-heading">
        <Title order={2} size="h3" id="export-heading" mb="sm">
          Your data
        </Title>
        <ExportData tenant={tenant ?? ''} allowed={can('exportData')} />
      </section>
    </Stack>
  );
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

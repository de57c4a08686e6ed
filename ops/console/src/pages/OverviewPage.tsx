import { Card, Group, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { formatNumber, Link, QueryState, ScrollTable } from '@modelplane/web-kit';
import { useOverview } from '../api/admin';
import { bars, lastHourTotals, latencyText, type Bar } from '../lib/overview';

function Stat({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <Card withBorder padding="md">
      <Text size="sm" c="dimmed">{label}</Text>
      <Text fw={700} size="xl">{value}</Text>
      {detail && <Text size="sm">{detail}</Text>}
    </Card>
  );
}

/** A horizontal bar chart as a list: each bar's label and value are text, the bar shows the proportion. */
function BarList({ title, items, unit }: { title: string; items: Bar[]; unit: string }) {
  return (
    <Card withBorder component="section" aria-label={title}>
      <Title order={2} size="h4" mb="sm">{title}</Title>
      {items.length === 0 ? (
        <Text c="dimmed" size="sm">Nothing in the last hour.</Text>
      ) : (
        <Stack gap="xs">
          {items.map((b) => (
            <div key={b.label}>
              <Group justify="space-between" gap="xs">
                <Link to={`/tenants/${encodeURIComponent(b.label)}`}>{b.label}</Link>
                <Text size="sm">{formatNumber(b.value)} {unit}</Text>
              </Group>
              <Progress value={b.percent} aria-label={`${b.label}: ${formatNumber(b.value)} ${unit}`} />
            </div>
          ))}
        </Stack>
      )}
    </Card>
  );
}

export default function OverviewPage() {
  const overviewQ = useOverview();
  return (
    <Stack>
      <Title order={1}>Overview</Title>
      <QueryState query={overviewQ} label="the overview">
        {(o) => {
          const totals = lastHourTotals(o);
          const statuses = Object.entries(o.models.byStatus).sort(([a], [b]) => a.localeCompare(b));
          return (
            <Stack gap="lg">
              <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
                <Stat label="Tenants" value={formatNumber(o.tenants.total)} detail={`${o.tenants.active} active · ${o.tenants.suspended} suspended`} />
                <Stat label="Models" value={formatNumber(o.models.total)} detail={statuses.map(([s, n]) => `${n} ${s.replace(/_/g, ' ')}`).join(' · ')} />
                <Stat label="Requests, last hour" value={formatNumber(totals.requests)} />
                <Stat label="Errors, last hour" value={formatNumber(totals.errors)} detail={`${totals.errorRate} % of requests`} />
              </SimpleGrid>
              <SimpleGrid cols={{ base: 1, md: 2 }}>
                <BarList title="Requests by tenant, last hour" unit="requests"
                  items={bars(o.lastHour.tenants.map((t) => ({ label: t.tenant, value: t.requests })))} />
                <BarList title="Top tenants by compute, last hour" unit="s"
                  items={bars(o.topByCompute.map((t) => ({ label: t.tenant, value: t.computeSeconds })))} />
              </SimpleGrid>
              <section aria-labelledby="lasthour-h">
                <Title order={2} size="h4" id="lasthour-h" mb="xs">Last hour per tenant</Title>
                {o.lastHour.tenants.length === 0 ? (
                  <Text c="dimmed">No requests in the last hour.</Text>
                ) : (
                  <ScrollTable label="Last hour per tenant table" minWidth={640}>
                    <Table striped>
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th>Tenant</Table.Th>
                          <Table.Th>Requests</Table.Th>
                          <Table.Th>Errors</Table.Th>
                          <Table.Th>p50</Table.Th>
                          <Table.Th>p99</Table.Th>
                          <Table.Th>Compute seconds</Table.Th>
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {o.lastHour.tenants.map((t) => (
                          <Table.Tr key={t.tenant}>
                            <Table.Td><Link to={`/tenants/${encodeURIComponent(t.tenant)}`}>{t.tenant}</Link></Table.Td>
                            <Table.Td>{formatNumber(t.requests)}</Table.Td>
                            <Table.Td>{formatNumber(t.errors)}</Table.Td>
                            <Table.Td>{latencyText(t.p50Ms)}</Table.Td>
                            <Table.Td>{latencyText(t.p99Ms)}</Table.Td>
                            <Table.Td>{formatNumber(t.computeSeconds)}</Table.Td>
                          </Table.Tr>
                        ))}
                      </Table.Tbody>
                    </Table>
                  </ScrollTable>
                )}
              </section>
            </Stack>
          );
        }}
      </QueryState>
    </Stack>
  );
}

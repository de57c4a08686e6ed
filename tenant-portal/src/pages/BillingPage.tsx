import { useMemo, useState } from 'react';
import { Button, Group, NativeSelect, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { ErrorAlert, formatNumber, NotAllowed, QueryState, ScrollTable, useAction } from '@modelplane/web-kit';
import { useTenant } from '../api/queries';
import { useMe } from '../auth/useMe';
import { statementCsv, useStatement, type Statement } from '../features/billing/api';
import { billingFileName, billingMonths, formatMoney, monthLabel, monthOf, quantityText, unitPriceText } from '../features/billing/billing';
import { downloadText } from '../features/usage/csv';

export default function BillingPage() {
  const { can, isPending, tenant } = useMe();
  const allowed = can('readBilling');
  const tenantQ = useTenant();
  const [now] = useState(() => new Date());
  const [month, setMonth] = useState(() => monthOf(now));
  const months = useMemo(() => billingMonths(tenantQ.data?.createdAt, now), [tenantQ.data?.createdAt, now]);
  const statementQ = useStatement(month, allowed.allowed);
  const download = useAction();

  if (isPending) return <Title order={1}>Billing</Title>;
  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Billing</Title>
        <Text c="dimmed">The statement of a calendar month (UTC), priced at the tenant’s plan.</Text>
      </div>
      {!allowed.allowed ? (
        <NotAllowed reason={allowed.reason} />
      ) : (
        <>
          <Group align="flex-end" wrap="wrap" gap="md">
            <NativeSelect
              label="Month"
              value={month}
              onChange={(e) => setMonth(e.currentTarget.value)}
              data={months.map((m) => ({ value: m, label: monthLabel(m) }))}
              w={200}
            />
            <Button
              variant="default"
              loading={download.busy}
              disabled={!statementQ.data}
              onClick={() =>
                void download.run(async () => downloadText(billingFileName(tenant as string, month), await statementCsv(tenant as string, month)))
              }
            >
              Download CSV
            </Button>
          </Group>
          {download.error != null && <ErrorAlert error={download.error} title="Could not download the CSV" />}
          <QueryState query={statementQ} label="the statement">
            {(s) => <StatementView statement={s} />}
          </QueryState>
        </>
      )}
    </Stack>
  );
}

function StatementView({ statement: s }: { statement: Statement }) {
  const money = (minor: number) => formatMoney(minor, s.currency);
  const usage: [string, string][] = [
    ['Requests', formatNumber(s.usage.requests ?? 0, 0)],
    ['Errors (not billed)', formatNumber(s.usage.errors ?? 0, 0)],
    ['Items', formatNumber(s.usage.items ?? 0, 0)],
    ['Compute', `${formatNumber(s.usage.computeSeconds ?? 0, 2)} s`],
    ['Resident memory', `${formatNumber(s.usage.residentGiBHours ?? 0, 6)} GiB-hours`],
  ];
  return (
    <Stack gap="lg">
      <Paper withBorder p="md" component="section" aria-labelledby="statement-heading">
        <Title order={2} size="h3" id="statement-heading" mb="sm">
          {monthLabel(s.month)}
        </Title>
        <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm">
          <Text>
            Plan: <strong>{s.plan}</strong>
          </Text>
          <Text>
            Currency: <strong>{s.currency}</strong>
          </Text>
          <Text>
            Total: <strong>{money(s.total)}</strong>
          </Text>
        </SimpleGrid>
      </Paper>
      <section aria-labelledby="usage-heading">
        <Title order={2} size="h3" id="usage-heading" mb="sm">
          Usage
        </Title>
        <ScrollTable label="Usage of the month" minWidth={320}>
          <Table striped>
            <Table.Tbody>
              {usage.map(([name, value]) => (
                <Table.Tr key={name}>
                  <Table.Th scope="row">{name}</Table.Th>
                  <Table.Td ta="right">{value}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      </section>
      <section aria-labelledby="lines-heading">
        <Title order={2} size="h3" id="lines-heading" mb="sm">
          Line items
        </Title>
        <ScrollTable label="Line items table" minWidth={720}>
          <Table striped>
            <Table.Caption>Each amount is its quantity times the unit price, rounded half up; the total is their sum.</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Item</Table.Th>
                <Table.Th ta="right">Quantity</Table.Th>
                <Table.Th ta="right">Unit price</Table.Th>
                <Table.Th ta="right">Amount</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {s.lines.map((l) => (
                <Table.Tr key={l.item} data-item={l.item}>
                  <Table.Td>{l.description}</Table.Td>
                  <Table.Td ta="right">{quantityText(l.quantity, l.unit)}</Table.Td>
                  <Table.Td ta="right">{unitPriceText(l.unitPrice, l.unit, s.currency)}</Table.Td>
                  <Table.Td ta="right">{money(l.amount)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
            <Table.Tfoot>
              <Table.Tr>
                <Table.Th scope="row" colSpan={3}>
                  Total
                </Table.Th>
                <Table.Td ta="right" fw={700}>
                  {money(s.total)}
                </Table.Td>
              </Table.Tr>
            </Table.Tfoot>
          </Table>
        </ScrollTable>
      </section>
    </Stack>
  );
}

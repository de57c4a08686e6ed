import { useState } from 'react';
import { Button, Card, Group, NativeSelect, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { ErrorAlert, formatNumber, Link, QueryState, ScrollTable, saveBlob, useAction, useSearch } from '@modelplane/web-kit';
import { billingCsv, useBilling } from '../api/admin';
import { csvFileName, monthLabel, quantityText, recentMonths, sortStatements, unitPriceText } from '../lib/billing';
import { formatMoney } from '../lib/plans';
import type { Statement } from '../api/types';

function StatementRow({ s }: { s: Statement }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Table.Tr>
        <Table.Td>
          <Link to={`/tenants/${encodeURIComponent(s.tenant)}`}>{s.tenant}</Link>
        </Table.Td>
        <Table.Td>{s.plan}</Table.Td>
        <Table.Td>{formatNumber(s.usage.requests)}</Table.Td>
        <Table.Td>{formatNumber(s.usage.computeSeconds)}</Table.Td>
        <Table.Td>{formatNumber(s.usage.residentGiBHours, 3)}</Table.Td>
        <Table.Td fw={600}>{formatMoney(s.total, s.currency)}</Table.Td>
        <Table.Td>
          <Button size="xs" variant="default" aria-expanded={open} onClick={() => setOpen(!open)} aria-label={`${open ? 'Hide' : 'Show'} the lines of ${s.tenant}`}>
            {open ? 'Hide lines' : 'Lines'}
          </Button>
        </Table.Td>
      </Table.Tr>
      {open && (
        <Table.Tr>
          <Table.Td colSpan={7}>
            <Table withTableBorder>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Item</Table.Th>
                  <Table.Th>Quantity</Table.Th>
                  <Table.Th>Unit price</Table.Th>
                  <Table.Th>Amount</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {s.lines.map((l) => (
                  <Table.Tr key={l.item}>
                    <Table.Td>{l.description}</Table.Td>
                    <Table.Td>{quantityText(l)}</Table.Td>
                    <Table.Td>{unitPriceText(l, s.currency)}</Table.Td>
                    <Table.Td>{formatMoney(l.amount, s.currency)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}

export default function BillingPage() {
  const search = useSearch();
  const months = recentMonths(new Date());
  const asked = search.get('month');
  const [month, setMonth] = useState(asked && months.includes(asked) ? asked : (months[0] as string));
  const billQ = useBilling(month);
  const { busy: downloading, error: csvError, run } = useAction();

  const download = () =>
    run(async () => {
      saveBlob(csvFileName(month), await billingCsv(month));
    });

  return (
    <Stack>
      <Title order={1}>Billing</Title>
      <Group align="flex-end">
        <NativeSelect label="Month" value={month} w={220} data={months.map((m) => ({ value: m, label: monthLabel(m) }))}
          onChange={(e) => setMonth(e.currentTarget.value)} />
        <Button variant="default" onClick={() => void download()} loading={downloading}>
          Download CSV
        </Button>
      </Group>
      {csvError !== null && <ErrorAlert error={csvError} title="The CSV could not be downloaded" />}
      <QueryState query={billQ} label="statements">
        {(b) => (
          <Stack>
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              {b.totals.map((t) => (
                <Card withBorder key={t.currency}>
                  <Text size="sm" c="dimmed">Total {t.currency}</Text>
                  <Text fw={700} size="xl">{formatMoney(t.total, t.currency)}</Text>
                </Card>
              ))}
              <Card withBorder>
                <Text size="sm" c="dimmed">Statements</Text>
                <Text fw={700} size="xl">{b.statements.length}</Text>
              </Card>
            </SimpleGrid>
            {b.statements.length === 0 ? (
              <Text c="dimmed">No statement for {monthLabel(b.month)}.</Text>
            ) : (
              <ScrollTable label={`Statements of ${monthLabel(b.month)} table`} minWidth={760}>
                <Table striped>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Tenant</Table.Th>
                      <Table.Th>Plan</Table.Th>
                      <Table.Th>Requests</Table.Th>
                      <Table.Th>Compute seconds</Table.Th>
                      <Table.Th>GiB-hours resident</Table.Th>
                      <Table.Th>Total</Table.Th>
                      <Table.Th>Lines</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {sortStatements(b.statements).map((s) => (
                      <StatementRow key={s.tenant} s={s} />
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollTable>
            )}
          </Stack>
        )}
      </QueryState>
    </Stack>
  );
}

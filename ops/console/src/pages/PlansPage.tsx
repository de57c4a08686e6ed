import { useState, type FormEvent } from 'react';
import { Button, Group, Modal, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { ConfirmButton, ErrorAlert, formatBytes, Link, QueryState, ScrollTable, useAction } from '@modelplane/web-kit';
import { createPlan, deletePlan, patchPlan, usePlans } from '../api/admin';
import type { Plan } from '../api/types';
import { PRICE_FIELDS, affectedText, emptyPlanForm, formatMoney, planFormOf, validatePlan, type PlanForm } from '../lib/plans';
import { QUOTA_FIELDS, limitText } from '../lib/quota';

function PlanEditor({ plan, onClose }: { plan: Plan | null; onClose: () => void }) {
  const qc = useQueryClient();
  const creating = plan === null;
  const [form, setForm] = useState<PlanForm>(() => (plan ? planFormOf(plan) : emptyPlanForm()));
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useAction();
  const { problems, body } = validatePlan(form, creating);
  const shown = (k: keyof typeof problems) => (tried ? problems[k] : undefined);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setTried(true);
    if (!body) return;
    const done = await run(async () => {
      if (creating) await createPlan({ ...body, id: body.id ?? form.id });
      else await patchPlan(plan.id, body);
      await qc.invalidateQueries({ queryKey: ['plans'] });
      await qc.invalidateQueries({ queryKey: ['tenants'] });
    });
    if (done) onClose();
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput label="Plan id" value={form.id} disabled={!creating} error={shown('id')} required
            onChange={(e) => setForm({ ...form, id: e.currentTarget.value })} />
          <TextInput label="Plan name" value={form.displayName} error={shown('displayName')} required
            onChange={(e) => setForm({ ...form, displayName: e.currentTarget.value })} />
          <TextInput label="Currency" value={form.currency} error={shown('currency')} maxLength={3}
            onChange={(e) => setForm({ ...form, currency: e.currentTarget.value.toUpperCase() })} />
        </SimpleGrid>
        <Title order={3} size="h5">Prices ({form.currency})</Title>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {PRICE_FIELDS.map(({ key, label }) => (
            <TextInput key={key} label={label} inputMode="decimal" value={form.prices[key]} error={shown(key)}
              onChange={(e) => setForm({ ...form, prices: { ...form.prices, [key]: e.currentTarget.value } })} />
          ))}
        </SimpleGrid>
        <Title order={3} size="h5">Quota (empty: unlimited{creating ? '; untouched: the default' : ''})</Title>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {QUOTA_FIELDS.map(({ key, label, unit }) => (
            <TextInput key={key} label={`${label} (${unit})`} inputMode="decimal" value={form.quota[key] ?? ''}
              placeholder={creating && !(key in form.quota) ? 'default' : 'unlimited'} error={shown(key)}
              onChange={(e) => setForm({ ...form, quota: { ...form.quota, [key]: e.currentTarget.value } })} />
          ))}
        </SimpleGrid>
        {!creating && <Text fw={600}>{affectedText(plan.tenants)}</Text>}
        {error !== null && <ErrorAlert error={error} title={creating ? 'The plan was not created' : 'The plan was not changed'} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {creating ? 'Create plan' : 'Save plan'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export default function PlansPage() {
  const qc = useQueryClient();
  const plansQ = usePlans();
  const [editing, setEditing] = useState<Plan | null | undefined>(undefined);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Plans</Title>
        <Button onClick={() => setEditing(null)}>Create plan</Button>
      </Group>
      <Text size="sm" c="dimmed">
        A plan is a quota and a price list; each tenant is on one (default unless chosen), and may override single limits.
      </Text>
      <QueryState query={plansQ} label="plans" isEmpty={(d) => d.length === 0}>
        {(plans) => (
          <ScrollTable label="Plans table" minWidth={900}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Plan</Table.Th>
                  <Table.Th>Tenants</Table.Th>
                  <Table.Th>Monthly base</Table.Th>
                  <Table.Th>Per 1M requests</Table.Th>
                  <Table.Th>Per compute hour</Table.Th>
                  <Table.Th>Per GiB-hour</Table.Th>
                  <Table.Th>Limits</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {plans.map((p) => (
                  <Table.Tr key={p.id}>
                    <Table.Td>
                      <Text fw={600}>{p.displayName}</Text>
                      <Text size="sm" c="dimmed">{p.id}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Link to={`/tenants?plan=${encodeURIComponent(p.id)}`} aria-label={`${p.tenants} tenants on ${p.id}`}>{p.tenants}</Link>
                    </Table.Td>
                    <Table.Td>{formatMoney(p.prices.monthlyBase, p.currency)}</Table.Td>
                    <Table.Td>{formatMoney(p.prices.perMillionRequests, p.currency)}</Table.Td>
                    <Table.Td>{formatMoney(p.prices.perComputeHour, p.currency)}</Table.Td>
                    <Table.Td>{formatMoney(p.prices.perGiBHourResident, p.currency)}</Table.Td>
                    <Table.Td>
                      <Text size="xs">
                        {QUOTA_FIELDS.map(({ key, label, unit }) => `${label}: ${limitText(p.quota?.[key], unit, formatBytes)}`).join(' · ')}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <Button size="xs" variant="default" onClick={() => setEditing(p)} aria-label={`Edit ${p.id}`}>
                          Edit
                        </Button>
                        <ConfirmButton size="xs" variant="default" color="red" label="Delete" ariaLabel={`Delete ${p.id}`}
                          title={`Delete the plan ${p.id}?`}
                          message={p.tenants > 0 ? `${p.tenants} tenants are on it: the server refuses while any is.` : 'No tenant is on it.'}
                          confirmLabel="Delete"
                          onConfirm={async () => {
                            await deletePlan(p.id);
                            await qc.invalidateQueries({ queryKey: ['plans'] });
                          }} />
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
      </QueryState>
      <Modal opened={editing !== undefined} onClose={() => setEditing(undefined)} size="xl" centered
        title={editing ? `Edit the plan ${editing.id}` : 'Create a plan'}>
        {editing !== undefined && <PlanEditor plan={editing} onClose={() => setEditing(undefined)} />}
      </Modal>
    </Stack>
  );
}

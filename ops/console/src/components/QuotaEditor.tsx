import { useState } from 'react';
import { Button, Group, Radio, Stack, Table, Text, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { ErrorAlert, formatBytes, ScrollTable, useAction } from '@modelplane/web-kit';
import { patchTenant } from '../api/admin';
import type { Quota, QuotaKey } from '../api/types';
import { QUOTA_FIELDS, limitText, overrideDiff, overrideForm, type LimitChoice, type OverrideForm } from '../lib/quota';

/** The tenant's limits: the effective value, and per limit the plan's value, unlimited or an override. */
export function QuotaEditor({ tenant, quota, overrides, planQuota, onDone }: {
  tenant: string;
  quota: Quota | undefined;
  overrides: Partial<Quota> | undefined;
  planQuota: Quota | undefined;
  onDone: () => void;
}) {
  const qc = useQueryClient();
  const [form, setForm] = useState<OverrideForm>(() => overrideForm(overrides));
  const { busy, error, run } = useAction();
  const diff = overrideDiff(overrides, form);
  const [tried, setTried] = useState(false);
  const set = (key: QuotaKey, choice: LimitChoice) => setForm({ ...form, [key]: choice });

  async function save() {
    setTried(true);
    const quotaOverrides = diff.quotaOverrides;
    if (Object.keys(diff.problems).length > 0 || quotaOverrides === null) return;
    const done = await run(async () => {
      await patchTenant(tenant, { quotaOverrides });
      await qc.invalidateQueries({ queryKey: ['tenant', tenant] });
      await qc.invalidateQueries({ queryKey: ['tenants'] });
    });
    if (done) onDone();
  }

  return (
    <Stack>
      <ScrollTable label="Quota overrides table" minWidth={640}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Limit</Table.Th>
              <Table.Th>Now</Table.Th>
              <Table.Th>Plan</Table.Th>
              <Table.Th>Set to</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {QUOTA_FIELDS.map(({ key, label, unit }) => {
              const choice = form[key];
              return (
                <Table.Tr key={key}>
                  <Table.Td>{label}</Table.Td>
                  <Table.Td>{limitText(quota?.[key], unit, formatBytes)}</Table.Td>
                  <Table.Td>{planQuota ? limitText(planQuota[key], unit, formatBytes) : '–'}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap" align="flex-start">
                      <Radio.Group value={choice.kind} aria-label={`${label}: source`}
                        onChange={(v) => set(key, v === 'limit' ? { kind: 'limit', text: String(quota?.[key] ?? '') } : { kind: v as 'plan' | 'unlimited' })}>
                        <Group gap="xs" wrap="nowrap">
                          <Radio value="plan" label="Plan" />
                          <Radio value="unlimited" label="Unlimited" />
                          <Radio value="limit" label="Limit" />
                        </Group>
                      </Radio.Group>
                      {choice.kind === 'limit' && (
                        <TextInput size="xs" w={130} aria-label={`${label} (${unit})`} value={choice.text} inputMode="decimal"
                          error={tried ? diff.problems[key] : undefined}
                          onChange={(e) => set(key, { kind: 'limit', text: e.currentTarget.value })} />
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </ScrollTable>
      {diff.backToPlan.length > 0 && (
        <Text size="sm">Limits set back to the plan follow the plan’s value from then on, also when the plan changes.</Text>
      )}
      {error !== null && <ErrorAlert error={error} title="The quota was not changed" />}
      <Group justify="flex-end">
        <Button variant="default" onClick={onDone}>
          Cancel
        </Button>
        <Button onClick={() => void save()} loading={busy} disabled={diff.quotaOverrides === null}>
          Save overrides
        </Button>
      </Group>
    </Stack>
  );
}

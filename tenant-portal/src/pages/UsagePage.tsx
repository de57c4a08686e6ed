import { lazy, Suspense, useMemo, useState } from 'react';
import {
  Button,
  Group,
  NativeSelect,
  Paper,
  SegmentedControl,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useUsage } from '../api/queries';
import { useMe } from '../auth/useMe';
import { formatNumber, formatTime, NotAllowed, QueryState, ScrollTable, type Step } from '@modelplane/web-kit';
import { csvFileName, downloadText, usageCsv } from '../features/usage/csv';
import {
  allowedSteps,
  customRange,
  DEFAULT_STEP,
  fitStep,
  presetRange,
  PRESETS,
  STEP_LABEL,
  toLocalInput,
  type Preset,
  type Range,
} from '../features/usage/range';
import { seriesKeys, seriesLabel, totalsBy } from '../features/usage/series';
import { METRICS, type Metric } from '../features/usage/metrics';

const UsageCharts = lazy(() => import('../features/usage/UsageCharts'));

const STEPS: Step[] = ['minute', 'hour', 'day'];

export default function UsagePage() {
  const { can, isPending, tenant } = useMe();
  const allowed = can('readUsage');
  const [preset, setPreset] = useState<Preset>('24h');
  const [wantedStep, setWantedStep] = useState<Step>('hour');
  const [now, setNow] = useState(() => new Date());
  const [customFrom, setCustomFrom] = useState(() => toLocalInput(new Date(Date.now() - 86_400_000).toISOString()));
  const [customTo, setCustomTo] = useState(() => toLocalInput(new Date().toISOString()));
  const [metric, setMetric] = useState<Metric>('requests');

  const custom = preset === 'custom' ? customRange(customFrom, customTo, wantedStep) : null;
  const problem = typeof custom === 'string' ? custom : null;
  const range: Range | null =
    preset === 'custom' ? (typeof custom === 'string' ? null : custom) : presetRange(preset, fitStep(presetRange(preset, wantedStep, now), wantedStep), now);
  const step = range ? fitStep(range, wantedStep) : wantedStep;
  const usableSteps = range ? allowedSteps(range) : STEPS;

  const usageQ = useUsage(range ? { from: range.from, to: range.to, step } : { step }, allowed.allowed && !!range);
  const rows = useMemo(() => usageQ.data?.rows ?? [], [usageQ.data]);
  const keys = useMemo(() => seriesKeys(rows), [rows]);
  const totals = useMemo(() => totalsBy(rows), [rows]);

  if (isPending) return <Title order={1}>Usage</Title>;
  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Usage</Title>
        <Text c="dimmed">Metered predictions per model and version, in UTC buckets.</Text>
      </div>
      {!allowed.allowed ? (
        <NotAllowed reason={allowed.reason} />
      ) : (
        <>
          <Paper withBorder p="md" component="section" aria-label="What to show">
            <Stack gap="sm">
              <Group align="flex-end" wrap="wrap" gap="md">
                <div>
                  <Text size="sm" fw={500} id="range-label" mb={4}>
                    Range
                  </Text>
                  <SegmentedControl
                    aria-labelledby="range-label"
                    data={PRESETS.map((p) => ({ value: p.value, label: p.label }))}
                    value={preset}
                    onChange={(v) => {
                      const p = v as Preset;
                      setPreset(p);
                      if (p !== 'custom') setWantedStep(DEFAULT_STEP[p]);
                      setNow(new Date());
                    }}
                  />
                </div>
                <NativeSelect
                  label="Step"
                  value={step}
                  onChange={(e) => setWantedStep(e.currentTarget.value as Step)}
                  data={STEPS.map((s) => ({ value: s, label: STEP_LABEL[s], disabled: !usableSteps.includes(s) }))}
                  w={140}
                />
                <NativeSelect
                  label="Chart"
                  value={metric}
                  onChange={(e) => setMetric(e.currentTarget.value as Metric)}
                  data={METRICS.map((m) => ({ value: m.value, label: m.label }))}
                  w={220}
                />
                <Button
                  variant="default"
                  onClick={() => {
                    // a new bucket gives a new range; within the same bucket the range is the same: ask again
                    setNow(new Date());
                    void usageQ.refetch();
                  }}
                  disabled={preset === 'custom'}
                >
                  Refresh
                </Button>
              </Group>
              {preset === 'custom' && (
                <Group align="flex-start" wrap="wrap" gap="md">
                  <TextInput
                    type="datetime-local"
                    label="From"
                    description="Local time, inclusive"
                    value={customFrom}
                    onChange={(e) => setCustomFrom(e.currentTarget.value)}
                  />
                  <TextInput
                    type="datetime-local"
                    label="To"
                    description="Local time, exclusive"
                    value={customTo}
                    onChange={(e) => setCustomTo(e.currentTarget.value)}
                    error={problem}
                  />
                </Group>
              )}
              {range && (
                <Text size="sm" c="dimmed" aria-live="polite">
                  {formatTime(range.from)} to {formatTime(range.to)}, per {step}
                </Text>
              )}
            </Stack>
          </Paper>

          {range && (
            <QueryState
              query={usageQ}
              label="usage"
              isEmpty={(d) => (d.rows ?? []).length === 0}
              empty={<Text c="dimmed">No predictions in this range.</Text>}
            >
              {(data) => (
                <Stack gap="lg">
                  <section aria-labelledby="charts-heading">
                    <Title order={2} size="h3" id="charts-heading" mb="sm">
                      Per model and version
                    </Title>
                    <Suspense fallback={<Skeleton h={200} aria-label="Loading charts" />}>
                      <UsageCharts rows={rows} keys={keys} from={data.from ?? range.from} to={data.to ?? range.to} step={step} metric={metric} />
                    </Suspense>
                  </section>
                  <section aria-labelledby="totals-heading">
                    <Group justify="space-between" mb="sm">
                      <Title order={2} size="h3" id="totals-heading">
                        Totals
                      </Title>
                      <Button
                        variant="default"
                        onClick={() => downloadText(csvFileName(tenant ?? 'tenant', range.from, range.to, step), usageCsv(rows))}
                      >
                        Download CSV
                      </Button>
                    </Group>
                    <ScrollTable label="Usage totals table" minWidth={520}>
                      <Table striped>
                        <Table.Caption>
                          Sums over the range; the CSV has one line per {step} and model version ({rows.length} {rows.length === 1 ? 'line' : 'lines'}).
                        </Table.Caption>
                        <Table.Thead>
                          <Table.Tr>
                            <Table.Th>Model version</Table.Th>
                            <Table.Th ta="right">Requests</Table.Th>
                            <Table.Th ta="right">Errors</Table.Th>
                            <Table.Th ta="right">Items</Table.Th>
                            <Table.Th ta="right">Compute (s)</Table.Th>
                          </Table.Tr>
                        </Table.Thead>
                        <Table.Tbody>
                          {totals.map((t) => (
                            <Table.Tr key={`${t.model}|${t.version}`}>
                              <Table.Td>{seriesLabel(t)}</Table.Td>
                              <Table.Td ta="right">{formatNumber(t.requests, 0)}</Table.Td>
                              <Table.Td ta="right">{formatNumber(t.errors, 0)}</Table.Td>
                              <Table.Td ta="right">{formatNumber(t.items, 0)}</Table.Td>
                              <Table.Td ta="right">{formatNumber(t.computeSeconds, 2)}</Table.Td>
                            </Table.Tr>
                          ))}
                        </Table.Tbody>
                      </Table>
                    </ScrollTable>
                  </section>
                </Stack>
              )}
            </QueryState>
          )}
        </>
      )}
    </Stack>
  );
}

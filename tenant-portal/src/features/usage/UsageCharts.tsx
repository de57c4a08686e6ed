import { useMemo } from 'react';
import { Paper, SimpleGrid, Text, Title } from '@mantine/core';
import { TimeChart, type ChartLine } from '@modelplane/web-kit/chart';
import { bucketSeries, type Series, type Step, type UsageRowLike } from '@modelplane/web-kit';
import { METRICS, type Metric } from './metrics';
import { seriesLabel, type SeriesKey } from './series';


function linesOf(s: Series, metric: Metric): ChartLine[] {
  switch (metric) {
    case 'requests':
      return [
        { label: 'Requests', values: s.requests, color: '#1c7ed6' },
        { label: 'Errors', values: s.errors, color: '#e03131' },
      ];
    case 'items':
      return [{ label: 'Items', values: s.items, color: '#2f9e44' }];
    case 'compute':
      return [{ label: 'Compute seconds', values: s.computeSeconds, color: '#f08c00' }];
  }
}

function ChartFor({ rows, k, from, to, step, metric }: { rows: ReadonlyArray<UsageRowLike>; k: SeriesKey; from: string; to: string; step: Step; metric: Metric }) {
  const series = useMemo(
    () => bucketSeries(rows, from, to, step, (r) => (r.model ?? '') === k.model && (r.version ?? '') === k.version),
    [rows, from, to, step, k.model, k.version],
  );
  const lines = useMemo(() => linesOf(series, metric), [series, metric]);
  const label = seriesLabel(k);
  const metricLabel = METRICS.find((m) => m.value === metric)?.label ?? metric;
  return (
    <Paper withBorder p="sm">
      <Title order={3} size="h5" mb="xs">
        {label}
      </Title>
      <TimeChart x={series.x} lines={lines} height={180} title={`${metricLabel} per ${step} for ${label}`} />
    </Paper>
  );
}

/** One chart per model and version (uPlot, loaded with this module only when usage is shown). */
export default function UsageCharts(props: {
  rows: ReadonlyArray<UsageRowLike>;
  keys: SeriesKey[];
  from: string;
  to: string;
  step: Step;
  metric: Metric;
}) {
  const { keys, ...rest } = props;
  const MAX = 12;
  return (
    <>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        {keys.slice(0, MAX).map((k) => (
          <ChartFor key={`${k.model}|${k.version}`} k={k} {...rest} />
        ))}
      </SimpleGrid>
      {keys.length > MAX && (
        <Text size="sm" c="dimmed" mt="xs">
          Showing charts for the first {MAX} of {keys.length} model versions; the table and the CSV have them all.
        </Text>
      )}
    </>
  );
}

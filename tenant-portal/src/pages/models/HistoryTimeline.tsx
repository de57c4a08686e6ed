import { useQuery } from '@tanstack/react-query';
import { Text, Timeline } from '@mantine/core';
import { api, call } from '../../api/client';
import { formatTime, QueryState } from '@modelplane/web-kit';

const TITLES: Record<string, string> = {
  version_registered: 'Version uploaded',
  deployment_revised: 'Deployment changed',
  deployment_rolled_back: 'Rolled back',
  version_archived: 'Version archived',
};

function describe(details: Record<string, unknown> | undefined): string {
  if (!details) return '';
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .concat(
      Object.entries(details)
        .filter(([, v]) => v !== null && typeof v === 'object')
        .map(([k, v]) => [k, JSON.stringify(v)]),
    )
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(' · ');
}

/** The model's changes, newest first. */
export function HistoryTimeline({ tenant, model }: { tenant: string; model: string }) {
  const q = useQuery({
    queryKey: ['model-history', tenant, model],
    refetchInterval: 5000,
    queryFn: () => call(api.GET('/api/v1/tenants/{tenant}/models/{model}/history', { params: { path: { tenant, model } } })),
  });
  return (
    <QueryState query={q} label="history" isEmpty={(d) => (d.events ?? []).length === 0} empty={<Text c="dimmed">No changes yet.</Text>}>
      {(d) => {
        const events = [...(d.events ?? [])].reverse();
        return (
          <Timeline bulletSize={14} lineWidth={2} active={0}>
            {events.map((e) => (
              <Timeline.Item key={e.sequenceNr} title={TITLES[e.type ?? ''] ?? e.type}>
                <Text size="xs" c="dimmed">
                  {formatTime(e.at)} · {e.actor}
                </Text>
                <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                  {describe(e.details as Record<string, unknown> | undefined)}
                </Text>
              </Timeline.Item>
            ))}
          </Timeline>
        );
      }}
    </QueryState>
  );
}

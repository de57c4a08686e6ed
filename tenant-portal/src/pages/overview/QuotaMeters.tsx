import { Group, Paper, Progress, SimpleGrid, Text, Tooltip } from '@mantine/core';
import type { Meter } from '../../lib/quota';

const COLOR: Record<Meter['level'], string> = { ok: 'teal', warn: 'yellow', over: 'red', unlimited: 'gray', unknown: 'gray' };

export function QuotaMeters({ meters, notes }: { meters: Meter[]; notes?: Partial<Record<string, string>> }) {
  return (
    <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="sm">
      {meters.map((m) => (
        <Paper key={m.label} withBorder p="sm">
          <Group justify="space-between" gap="xs" wrap="nowrap">
            <Text size="sm" fw={500}>
              {m.label}
            </Text>
            <Text size="sm" c={m.level === 'over' ? 'red' : undefined}>
              {m.text}
            </Text>
          </Group>
          {m.percent !== undefined ? (
            <Progress
              mt={6}
              value={m.percent}
              color={COLOR[m.level]}
              aria-label={`${m.label}: ${m.text}`}
            />
          ) : (
            <Progress mt={6} value={0} color="gray" aria-label={`${m.label}: ${m.text}`} />
          )}
          {notes?.[m.label] && (
            <Tooltip label={notes[m.label]} multiline w={240}>
              <Text size="xs" c="dimmed" mt={4} tabIndex={0}>
                {notes[m.label]}
              </Text>
            </Tooltip>
          )}
        </Paper>
      ))}
    </SimpleGrid>
  );
}

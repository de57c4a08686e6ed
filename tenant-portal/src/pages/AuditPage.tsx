import { useMemo, useState } from 'react';
import { Alert, Button, Group, NativeSelect, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { type AuditEvent, type AuditFilter, detailsText, distinct, errorMessage, filterEvents, formatTime, modelOf, NotAllowed, pageOf, Pager, QueryState, ScrollTable, typeLabel } from '@modelplane/web-kit';
import { useMe } from '../auth/useMe';
import { useAuditTrail } from '../features/audit/api';
import { fromLocalInput } from '../features/usage/range';

const PAGE_SIZE = 50;
const ALL = '';

export default function AuditPage() {
  const { can, isPending } = useMe();
  const allowed = can('manageAccess');
  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Audit</Title>
        <Text c="dimmed">Every change to this organization and its models: who did what, and when.</Text>
      </div>
      {isPending ? null : allowed.allowed ? <Trail /> : <NotAllowed reason={allowed.reason} />}
    </Stack>
  );
}

function Trail() {
  const trail = useAuditTrail(true);
  const [type, setType] = useState(ALL);
  const [actor, setActor] = useState('');
  const [model, setModel] = useState(ALL);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [page, setPage] = useState(1);

  const events = trail.query.data;
  const filter: AuditFilter = {
    type: type || undefined,
    actor: actor || undefined,
    model: model || undefined,
    from: fromLocalInput(from) ?? undefined,
    to: fromLocalInput(to) ?? undefined,
  };
  const rangeProblem = filter.from && filter.to && Date.parse(filter.to) <= Date.parse(filter.from) ? 'The end must be after the start.' : null;
  const matching = useMemo(
    () => (events ? filterEvents(events, filter) : []),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- filter is rebuilt from these each render
    [events, filter.type, filter.actor, filter.model, filter.from, filter.to],
  );
  const types = useMemo(() => (events ? distinct(events, (e) => e.type) : []), [events]);
  const models = useMemo(() => (events ? distinct(events, modelOf) : []), [events]);
  const anyFilter = !!(type || actor || model || from || to);
  const shown = pageOf(matching, page, PAGE_SIZE);
  const reset = (f: () => void) => {
    f();
    setPage(1);
  };

  return (
    <>
      <Paper withBorder p="md" component="section" aria-label="Filters">
        <Group align="flex-start" wrap="wrap" gap="md">
          <NativeSelect
            label="Type"
            value={type}
            onChange={(e) => reset(() => setType(e.currentTarget.value))}
            data={[{ value: ALL, label: 'All types' }, ...types.map((t) => ({ value: t, label: typeLabel(t) }))]}
            w={220}
          />
          <TextInput label="Actor" description="Part of the name" value={actor} onChange={(e) => reset(() => setActor(e.currentTarget.value))} w={200} />
          <NativeSelect
            label="Model"
            value={model}
            onChange={(e) => reset(() => setModel(e.currentTarget.value))}
            data={[{ value: ALL, label: 'All' }, ...models.map((m) => ({ value: m, label: m }))]}
            w={180}
          />
          <TextInput type="datetime-local" label="From" value={from} onChange={(e) => reset(() => setFrom(e.currentTarget.value))} />
          <TextInput type="datetime-local" label="To" value={to} onChange={(e) => reset(() => setTo(e.currentTarget.value))} error={rangeProblem} />
        </Group>
        {anyFilter && (
          <Button
            mt="sm"
            size="xs"
            variant="subtle"
            onClick={() =>
              reset(() => {
                setType(ALL);
                setActor('');
                setModel(ALL);
                setFrom('');
                setTo('');
              })
            }
          >
            Clear filters
          </Button>
        )}
      </Paper>

      {trail.modelsError !== null && (
        <Alert color="yellow" title="Model changes are missing">
          {errorMessage(trail.modelsError)}
        </Alert>
      )}
      {trail.failedModels.length > 0 && (
        <Alert color="yellow" title="Some model changes are missing">
          The history of {trail.failedModels.join(', ')} could not be loaded. Retry to try again.
        </Alert>
      )}

      <section aria-labelledby="changes-heading">
        <Title order={2} size="h3" id="changes-heading" mb="sm">
          Changes, newest first
        </Title>
        <QueryState
          query={trail.query}
          label="the audit trail"
          isEmpty={(d) => d.length === 0}
          empty={<Text c="dimmed">Nothing has changed yet.</Text>}
        >
          {() =>
            matching.length === 0 ? (
              <Text c="dimmed">No change matches these filters.</Text>
            ) : (
              <Stack gap="sm">
                <Text size="sm" c="dimmed" aria-live="polite">
                  {matching.length} {matching.length === 1 ? 'change' : 'changes'}
                  {anyFilter ? ' match' : ''}
                </Text>
                <EventTable events={shown.items} />
                <Pager page={shown.page} pages={shown.pages} onPage={setPage} label="Audit" />
              </Stack>
            )
          }
        </QueryState>
      </section>
    </>
  );
}

function EventTable({ events }: { events: AuditEvent[] }) {
  return (
    <ScrollTable label="Changes table" minWidth={720}>
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Time</Table.Th>
            <Table.Th>Change</Table.Th>
            <Table.Th>Actor</Table.Th>
            <Table.Th>Model</Table.Th>
            <Table.Th>Details</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {events.map((e) => (
            <Table.Tr key={`${e.model ?? ''}|${e.sequenceNr}`}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatTime(e.at)}</Table.Td>
              <Table.Td>{typeLabel(e.type)}</Table.Td>
              <Table.Td>
                <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                  {e.actor}
                </Text>
              </Table.Td>
              <Table.Td>{modelOf(e) ?? '–'}</Table.Td>
              <Table.Td>
                <Text size="xs" ff="monospace" style={{ wordBreak: 'break-word' }}>
                  {detailsText(e.details)}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}

import { useEffect, useState } from 'react';
import { Badge, Card, Group, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { ConfirmButton, formatBytes, formatTime, QueryState, ScrollTable } from '@modelplane/web-kit';
import { CLUSTER_POLL_MS, drainWorker, evictResident, undrainWorker, useCluster } from '../api/admin';
import type { ClusterNode, ClusterWorker } from '../api/types';
import {
  ago, batchText, budgetColor, budgetPercent, cpuText, diskColor, diskPercent, drainProgress, fdText, gcText, percentText,
  residentName, uptime, usedPercent, workerLoad,
} from '../lib/cluster';

/** Residents a worker held when its drain was asked for, to show the drain's progress. */
const drainStarts = new Map<string, number>();

/** One node's resources as a table row: each figure with its limit, the disk with a warning colour. */
function NodeResources({ n }: { n: ClusterNode }) {
  if (!n.sampledAt) {
    return (
      <Table.Tr>
        <Table.Td>{n.address}</Table.Td>
        <Table.Td colSpan={7}><Text size="sm" c="dimmed">No sample: the node did not answer in time.</Text></Table.Td>
      </Table.Tr>
    );
  }
  const heap = usedPercent(n.heap.usedBytes, n.heap.maxBytes);
  const disk = diskPercent(n.disk);
  return (
    <Table.Tr>
      <Table.Td title={`sampled at ${n.sampledAt}`}>{n.address}</Table.Td>
      <Table.Td>{cpuText(n.cpu)}</Table.Td>
      <Table.Td>
        <Text size="sm">{formatBytes(n.heap.usedBytes)}{n.heap.maxBytes > 0 ? ` of ${formatBytes(n.heap.maxBytes)}` : ''}</Text>
        {n.heap.maxBytes > 0 && (
          <Progress value={heap} color={budgetColor(heap)} aria-label={`Heap of ${n.address}: ${heap} % used`} />
        )}
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatBytes(n.nativeMemory.residentBytes)} resident</Text>
        <Text size="xs" c="dimmed">{formatBytes(n.nativeMemory.directBytes)} direct buffers</Text>
      </Table.Td>
      <Table.Td>{fdText(n.fileDescriptors)}</Table.Td>
      <Table.Td>
        <Text size="sm" title={n.disk.dataDir}>
          {formatBytes(n.disk.freeBytes)} free of {formatBytes(n.disk.totalBytes)}
          {disk >= 90 && <Text span size="sm" c="red" fw={600}> · nearly full</Text>}
        </Text>
        <Progress value={disk} color={diskColor(disk)} aria-label={`Disk of ${n.address}: ${disk} % used`} />
      </Table.Td>
      <Table.Td>{gcText(n.gcPauseSecondsTotal)}</Table.Td>
      <Table.Td>
        {n.gpus.length === 0 ? (
          <Text size="sm" c="dimmed">none</Text>
        ) : (
          n.gpus.map((g) => {
            const used = usedPercent(g.memoryUsedBytes, g.memoryTotalBytes);
            return (
              <Stack gap={2} key={g.device}>
                <Text size="sm">{g.device}: {formatBytes(g.memoryUsedBytes)} of {formatBytes(g.memoryTotalBytes)}</Text>
                <Progress value={used} color={budgetColor(used)} aria-label={`GPU memory of ${g.device} on ${n.address}: ${used} % used`} />
              </Stack>
            );
          })
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function Worker({ w, now }: { w: ClusterWorker; now: number }) {
  const qc = useQueryClient();
  const percent = budgetPercent(w.usedBytes, w.budgetBytes);
  const load = workerLoad(w);
  const refresh = () => qc.invalidateQueries({ queryKey: ['cluster'] });
  const start = drainStarts.get(w.workerId);
  const progress = w.draining ? drainProgress(start ?? w.models.length, w.models.length) : null;
  return (
    <Card withBorder component="section" aria-label={`Worker ${w.workerId}`}>
      <Stack gap="sm">
        <Group justify="space-between">
          <Group gap="sm">
            <Title order={3} size="h4">{w.workerId}</Title>
            <Badge variant="outline">{w.device}</Badge>
            {w.pool && <Badge variant="outline">pool {w.pool}</Badge>}
            {w.draining && <Badge color="orange">draining</Badge>}
          </Group>
          {w.draining ? (
            <ConfirmButton size="xs" variant="default" color="blue" label="Undrain" ariaLabel={`Undrain ${w.workerId}`}
              title={`Undrain ${w.workerId}?`} message="New replicas may be placed on this worker again." confirmLabel="Undrain"
              onConfirm={async () => {
                await undrainWorker(w.workerId);
                drainStarts.delete(w.workerId);
                await refresh();
              }} />
          ) : (
            <ConfirmButton size="xs" variant="default" color="orange" label="Drain" ariaLabel={`Drain ${w.workerId}`}
              title={`Drain ${w.workerId}?`}
              message="No new placements here; its replicas are placed elsewhere first, then unloaded. Predict keeps answering."
              confirmLabel="Drain"
              onConfirm={async () => {
                drainStarts.set(w.workerId, w.models.length);
                await drainWorker(w.workerId);
                await refresh();
              }} />
          )}
        </Group>
        <Stack gap={4}>
          <Text size="sm">
            {formatBytes(w.usedBytes)} of {formatBytes(w.budgetBytes)} ({percent} %) · {load.queued} queued · {load.inFlight} running
          </Text>
          <Progress value={percent} color={budgetColor(percent)} aria-label={`Byte budget of ${w.workerId}: ${percent} % used`} />
        </Stack>
        <Stack gap={4}>
          <Text size="sm">
            Device busy {percentText(w.utilization)} of the last few seconds · {formatBytes(w.residentBytes ?? w.usedBytes)} resident
          </Text>
          <Progress value={Math.round((w.utilization ?? 0) * 100)} color="teal"
            aria-label={`Utilization of ${w.workerId}: ${percentText(w.utilization)}`} />
        </Stack>
        {progress && (
          <Stack gap={4} role="status">
            <Text size="sm">{progress.done ? 'Drained: no resident left.' : `Draining: ${w.models.length} resident${w.models.length === 1 ? '' : 's'} left.`}</Text>
            <Progress value={progress.percent} color="orange" aria-label={`Drain of ${w.workerId}: ${progress.percent} %`} />
            {w.drainBlockedBy.length > 0 && (
              <Stack gap={2}>
                <Text size="sm" fw={500}>Held up:</Text>
                {w.drainBlockedBy.map((why) => (
                  <Text size="sm" key={why}>{why}</Text>
                ))}
              </Stack>
            )}
          </Stack>
        )}
        {w.models.length === 0 ? (
          <Text size="sm" c="dimmed">No resident model versions.</Text>
        ) : (
          <ScrollTable label={`Residents of ${w.workerId} table`} minWidth={760}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Bytes</Table.Th>
                  <Table.Th>Last use</Table.Th>
                  <Table.Th>Queue</Table.Th>
                  <Table.Th>Running</Table.Th>
                  <Table.Th>Batch sizes</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {w.models.map((m) => {
                  const name = residentName(m);
                  return (
                    <Table.Tr key={m.key}>
                      <Table.Td>{name}</Table.Td>
                      <Table.Td>{formatBytes(m.bytes)}</Table.Td>
                      <Table.Td title={m.lastUsedAt ?? undefined}>{ago(m.lastUsedAt, now)}</Table.Td>
                      <Table.Td>{m.queueDepth}</Table.Td>
                      <Table.Td>{m.inFlight}</Table.Td>
                      <Table.Td>{batchText(m.batchSizes)}</Table.Td>
                      <Table.Td>
                        <ConfirmButton size="xs" variant="default" color="red" label="Evict" ariaLabel={`Evict ${name} from ${w.workerId}`}
                            title={`Evict ${name}?`}
                            message="It is unloaded from this worker; placement loads it again if its deployment still wants it."
                            confirmLabel="Evict"
                            onConfirm={async () => {
                              await evictResident(w.workerId, m);
                              await refresh();
                            }} />
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
      </Stack>
    </Card>
  );
}

export default function ClusterPage() {
  const clusterQ = useCluster();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), CLUSTER_POLL_MS);
    return () => clearInterval(t);
  }, []);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Cluster</Title>
        <Text size="sm" c="dimmed">
          Live: asked every {CLUSTER_POLL_MS / 1000} s{clusterQ.dataUpdatedAt ? `, last at ${new Date(clusterQ.dataUpdatedAt).toLocaleTimeString('en-GB')}` : ''}
        </Text>
      </Group>
      <QueryState query={clusterQ} label="the cluster">
        {(c) => (
          <Stack gap="lg">
            <section aria-labelledby="nodes-h">
              <Title order={2} size="h3" id="nodes-h" mb="xs">Nodes</Title>
              <ScrollTable label="Nodes table" minWidth={640}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Address</Table.Th>
                      <Table.Th>Roles</Table.Th>
                      <Table.Th>Status</Table.Th>
                      <Table.Th>Up since</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {c.nodes.map((n) => (
                      <Table.Tr key={n.address}>
                        <Table.Td>
                          {n.address}
                          {n.address === c.self && <Text span size="sm" c="dimmed"> (this node)</Text>}
                        </Table.Td>
                        <Table.Td>{n.roles.join(', ')}</Table.Td>
                        <Table.Td>
                          <Badge color={n.reachable && n.status === 'up' ? 'green' : 'red'}>{n.reachable ? n.status : `${n.status}, unreachable`}</Badge>
                        </Table.Td>
                        <Table.Td title={n.upSince ?? undefined}>{n.upSince ? `${formatTime(n.upSince)} (${uptime(n.upSince, now)})` : '–'}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollTable>
            </section>
            <section aria-labelledby="resources-h">
              <Title order={2} size="h3" id="resources-h" mb="xs">Node resources</Title>
              <ScrollTable label="Node resources table" minWidth={1100}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Node</Table.Th>
                      <Table.Th>CPU</Table.Th>
                      <Table.Th>Heap</Table.Th>
                      <Table.Th>Native memory</Table.Th>
                      <Table.Th>File descriptors</Table.Th>
                      <Table.Th>Data disk</Table.Th>
                      <Table.Th>GC pauses</Table.Th>
                      <Table.Th>GPU memory</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {c.nodes.map((n) => (
                      <NodeResources key={n.address} n={n} />
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollTable>
            </section>
            <section aria-labelledby="workers-h">
              <Title order={2} size="h3" id="workers-h" mb="xs">Workers</Title>
              {!c.drainsKnown && (
                <Text size="sm" c="dimmed" mb="xs">Placement did not answer in time: drains are not shown until it does.</Text>
              )}
              <Stack>
                {c.workers.length === 0 && <Text c="dimmed">No worker answered.</Text>}
                {[...c.workers].sort((a, b) => a.workerId.localeCompare(b.workerId)).map((w) => (
                  <Worker key={w.workerId} w={w} now={now} />
                ))}
              </Stack>
            </section>
          </Stack>
        )}
      </QueryState>
    </Stack>
  );
}

import { useQueryClient } from '@tanstack/react-query';
import { Alert, Anchor, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { api, call } from '../api/client';
import { useModel } from '../api/queries';
import { useMe } from '../auth/useMe';
import { ConfirmButton, formatTime, Link, QueryState, StatusBadge } from '@modelplane/web-kit';
import { DeploymentEditor } from './models/DeploymentEditor';
import { HistoryTimeline } from './models/HistoryTimeline';
import { Replicas } from './models/Replicas';
import { VersionsTable } from './models/VersionsTable';

export default function ModelPage({ params }: { params: Record<string, string> }) {
  const name = params.model ?? '';
  const { tenant, can } = useMe();
  const modelQ = useModel(name, 3000);
  const queryClient = useQueryClient();
  const write = can('writeModels');
  const predict = can('predict');

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['model', tenant, name] });
    void queryClient.invalidateQueries({ queryKey: ['model-history', tenant, name] });
    void queryClient.invalidateQueries({ queryKey: ['models', tenant] });
  };
  const path = { tenant: tenant ?? '', model: name };

  return (
    <QueryState query={modelQ} label={`model ${name}`}>
      {(model) => (
        <Stack gap="lg">
          <Group justify="space-between" wrap="wrap" gap="sm">
            <Group gap="sm">
              <Title order={1}>{model.name}</Title>
              <StatusBadge status={model.status} />
            </Group>
            <Group gap="xs">
              {predict.allowed && (
                <Button variant="default" component={Link} to={`/models/${encodeURIComponent(name)}/try`}>
                  Try it
                </Button>
              )}
              {write.allowed && (
                <Button component={Link} to={`/models/${encodeURIComponent(name)}/upload`}>
                  Upload a version
                </Button>
              )}
            </Group>
          </Group>
          <Text size="sm" c="dimmed">
            Created {formatTime(model.createdAt)} ·{' '}
            <Anchor component={Link} to="/models" size="sm">
              All models
            </Anchor>
          </Text>
          {!write.allowed && (
            <Alert color="gray" title="Read only">
              {write.reason}
            </Alert>
          )}

          <section aria-labelledby="deployment-heading">
            <Group justify="space-between" mb="sm" wrap="wrap">
              <Title order={2} size="h3" id="deployment-heading">
                Deployment
              </Title>
              {write.allowed && model.deployment && (
                <ConfirmButton
                  variant="default"
                  label="Roll back"
                  title="Roll back the deployment?"
                  message={`Revision ${model.deployment.revision} is replaced by the revision before it; its traffic split and settings take effect at once.`}
                  confirmLabel="Roll back"
                  onConfirm={async () => {
                    const rev = await call(
                      api.POST('/api/v1/tenants/{tenant}/models/{model}/deployment/rollback', { params: { path } }),
                    );
                    notifications.show({ color: 'green', message: `Rolled back: revision ${rev.revision} is current.` });
                    refresh();
                  }}
                />
              )}
            </Group>
            <Stack gap="md">
              {model.deployment ? (
                <Paper withBorder p="sm">
                  <Text size="sm">
                    Revision {model.deployment.revision} ·{' '}
                    {Object.entries(model.deployment.traffic ?? {})
                      .map(([v, p]) => `version ${v}: ${p}%`)
                      .join(', ')}{' '}
                    · {model.deployment.replicas} replica(s) · batch {model.deployment.maxBatchSize} /{' '}
                    {model.deployment.maxBatchDelayMs} ms · engine threads {model.deployment.engineThreads ?? 'node default'}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {formatTime(model.deployment.createdAt)} by {model.deployment.createdBy}
                  </Text>
                </Paper>
              ) : (
                <Text c="dimmed">Not deployed.</Text>
              )}
              <section aria-labelledby="replicas-heading">
                <Title order={3} size="h4" mb="xs" id="replicas-heading">
                  Replicas
                </Title>
                <Replicas replicas={model.replicas ?? []} />
              </section>
              {write.allowed && (
                <DeploymentEditor key={name} tenant={tenant ?? ''} model={model} />
              )}
            </Stack>
          </section>

          <section aria-labelledby="versions-heading">
            <Title order={2} size="h3" id="versions-heading" mb="sm">
              Versions
            </Title>
            <VersionsTable
              versions={model.versions ?? []}
              canArchive={write.allowed}
              onArchive={async (version) => {
                await call(
                  api.POST('/api/v1/tenants/{tenant}/models/{model}/versions/{version}/archive', {
                    params: { path: { ...path, version } },
                  }),
                );
                notifications.show({ color: 'green', message: `Version ${version} archived.` });
                refresh();
              }}
            />
          </section>

          <section aria-labelledby="history-heading">
            <Title order={2} size="h3" id="history-heading" mb="sm">
              History
            </Title>
            <HistoryTimeline tenant={tenant ?? ''} model={name} />
          </section>
        </Stack>
      )}
    </QueryState>
  );
}

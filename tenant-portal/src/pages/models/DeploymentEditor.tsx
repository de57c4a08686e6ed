import { useEffect, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { ApiError, errorMessage, IntegerInput } from '@modelplane/web-kit';
import { notifications } from '@mantine/notifications';
import { api, call } from '../../api/client';
import type { Deployment, Model, Version } from '../../api/queries';
import { deploymentRequest, validateDeployment, type DeploymentForm, type FormErrors } from '../../lib/deployment';
import { fromTraffic, setPercent, toTraffic, total, withdraw } from '../../lib/traffic';

function formOf(d: Deployment | null | undefined, versions: Version[]): DeploymentForm {
  const active = versions.filter((v) => !v.archived).map((v) => v.version ?? 0);
  const newest = active.at(-1);
  // every deployable version gets a row; without a deployment the newest takes all traffic
  const traffic = d?.traffic ?? (newest ? { [String(newest)]: 100 } : {});
  return {
    shares: fromTraffic(traffic, active),
    replicas: d?.replicas ?? 1,
    maxBatchSize: d?.maxBatchSize ?? 32,
    maxBatchDelayMs: d?.maxBatchDelayMs ?? 0,
    engineThreads: d?.engineThreads ?? '',
  };
}

function summary(d: Deployment): string {
  const split = Object.entries(d.traffic ?? {})
    .map(([v, p]) => `v${v} ${p}%`)
    .join(', ');
  return `${split}; ${d.replicas} replica(s), batch ${d.maxBatchSize} / ${d.maxBatchDelayMs} ms, engine threads ${d.engineThreads ?? 'node default'}`;
}

/**
 * Edits the deployment and sends it with the revision the edits started from; when someone else changed it
 * meanwhile (409 stale_revision) it shows the newer revision and the next send is based on that one.
 */
export function DeploymentEditor({ tenant, model }: { tenant: string; model: Model }) {
  const queryClient = useQueryClient();
  const versions = model.versions ?? [];
  const [form, setForm] = useState<DeploymentForm>(() => formOf(model.deployment, versions));
  const [basis, setBasis] = useState<number>(model.deployment?.revision ?? 0);
  const [errors, setErrors] = useState<FormErrors>({});
  const [stale, setStale] = useState<Deployment | null>(null);

  // a version uploaded while the editor is open gets a 0 % row; the person's edits stay
  const activeKey = versions.filter((v) => !v.archived).map((v) => v.version).join(',');
  useEffect(() => {
    const active = activeKey ? activeKey.split(',').map(Number) : [];
    setForm((f) => ({ ...f, shares: fromTraffic(toTraffic(f.shares), active) }));
  }, [activeKey]);

  const deploy = useMutation({
    mutationFn: (f: DeploymentForm) =>
      call(
        api.PUT('/api/v1/tenants/{tenant}/models/{model}/deployment', {
          params: { path: { tenant, model: model.name ?? '' } },
          body: deploymentRequest(f, basis),
        }),
      ),
    onSuccess: (rev) => {
      setStale(null);
      setBasis(rev.revision ?? basis);
      notifications.show({ color: 'green', message: `Revision ${rev.revision} is deploying.` });
      void queryClient.invalidateQueries({ queryKey: ['model', tenant, model.name] });
      void queryClient.invalidateQueries({ queryKey: ['model-history', tenant, model.name] });
    },
    onError: async (e) => {
      if (e instanceof ApiError && e.code === 'stale_revision') {
        const fresh = await call(
          api.GET('/api/v1/tenants/{tenant}/models/{model}/deployment', { params: { path: { tenant, model: model.name ?? '' } } }),
        ).catch(() => null);
        if (fresh) {
          setStale(fresh);
          setBasis(fresh.revision ?? 0);
        }
        void queryClient.invalidateQueries({ queryKey: ['model', tenant, model.name] });
      }
    },
  });

  function submit() {
    const errs = validateDeployment(form);
    setErrors(errs);
    if (Object.keys(errs).length === 0) deploy.mutate(form);
  }

  const sum = total(form.shares);
  return (
    <Paper withBorder p="md">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
        noValidate
        aria-labelledby="deploy-heading"
      >
        <Stack gap="md">
          <Title order={3} size="h4" id="deploy-heading">
            Change the deployment
          </Title>
          <Text size="sm" c="dimmed">
            Based on revision {basis === 0 ? '– (none yet)' : basis}.
          </Text>
          {stale && (
            <Alert color="yellow" title={`Revision ${stale.revision} is now current`} role="alert">
              <Stack gap="xs">
                <Text size="sm">
                  Someone changed the deployment while you were editing: {summary(stale)} (by {stale.createdBy}). Your next
                  deploy replaces revision {stale.revision}.
                </Text>
                <Group>
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => {
                      setForm(formOf(stale, versions));
                      setErrors({});
                      setStale(null);
                    }}
                  >
                    Load revision {stale.revision} into the editor
                  </Button>
                </Group>
              </Stack>
            </Alert>
          )}

          <fieldset style={{ border: 0, padding: 0, margin: 0 }} aria-describedby="traffic-total">
            <legend>
              <Text fw={500} size="sm">
                Traffic split (0 % = no traffic)
              </Text>
            </legend>
            <Stack gap="xs" mt="xs">
              {form.shares.length === 0 && <Text c="dimmed">No versions to deploy yet.</Text>}
              {form.shares.map((s) => (
                <Group key={s.version} gap="xs" wrap="nowrap" align="flex-end">
                  <IntegerInput
                    label={`Version ${s.version} traffic (%)`}
                    value={s.percent}
                    min={0}
                    max={100}
                    onChange={(v) => setForm((f) => ({ ...f, shares: setPercent(f.shares, s.version, v === '' ? 0 : v) }))}
                    w={180}
                  />
                  {s.percent > 0 && form.shares.length > 1 && (
                    <Button
                      variant="subtle"
                      size="xs"
                      mb={6}
                      aria-label={`Take version ${s.version} out of the split`}
                      onClick={() => setForm((f) => ({ ...f, shares: withdraw(f.shares, s.version) }))}
                    >
                      Take out
                    </Button>
                  )}
                </Group>
              ))}
              <Text id="traffic-total" size="sm" c={sum === 100 ? undefined : 'red'} aria-live="polite">
                Total: {sum}% {sum === 100 ? '' : '(must be 100%)'}
              </Text>
              {errors.traffic && (
                <Text size="sm" c="red" role="alert">
                  {errors.traffic}
                </Text>
              )}
            </Stack>
          </fieldset>

          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
            <IntegerInput
              label="Replicas"
              description="per version, 1–64"
              value={form.replicas}
              min={1}
              max={64}
              onChange={(v) => setForm((f) => ({ ...f, replicas: v }))}
              error={errors.replicas}
            />
            <IntegerInput
              label="Max batch size"
              description="1–1024"
              value={form.maxBatchSize}
              min={1}
              max={1024}
              onChange={(v) => setForm((f) => ({ ...f, maxBatchSize: v }))}
              error={errors.maxBatchSize}
            />
            <IntegerInput
              label="Max batch delay (ms)"
              description="0–10000"
              value={form.maxBatchDelayMs}
              min={0}
              max={10000}
              onChange={(v) => setForm((f) => ({ ...f, maxBatchDelayMs: v }))}
              error={errors.maxBatchDelayMs}
            />
            <IntegerInput
              label="Engine threads"
              description="0 = one per core; empty = node default"
              value={form.engineThreads}
              min={0}
              max={256}
              onChange={(v) => setForm((f) => ({ ...f, engineThreads: v }))}
              error={errors.engineThreads}
            />
          </SimpleGrid>
          {deploy.isError && !(deploy.error instanceof ApiError && deploy.error.code === 'stale_revision') && (
            <Alert color="red" role="alert">
              {errorMessage(deploy.error)}
            </Alert>
          )}
          <Group>
            <Button type="submit" loading={deploy.isPending}>
              Deploy
            </Button>
            <Button
              variant="default"
              onClick={() => {
                setForm(formOf(model.deployment, versions));
                setErrors({});
              }}
            >
              Reset
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

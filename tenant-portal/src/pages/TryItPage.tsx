import { useMemo, useRef, useState, type Dispatch, type FormEvent, type SetStateAction } from 'react';
import {
  Alert,
  Anchor,
  Button,
  CopyButton,
  Group,
  NativeSelect,
  Paper,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { ErrorAlert, formatNumber, Link, NotAllowed, QueryState, ScrollTable } from '@modelplane/web-kit';
import { useMe } from '../auth/useMe';
import { useInfer, useModelMetadata, type InferResult } from '../features/tryit/api';
import {
  argmaxRows,
  curlFor,
  formatShape,
  inferPath,
  parseTensor,
  placeholderValues,
  type ParsedTensor,
  type TensorSpec,
} from '../features/tryit/tensor';

const TRAFFIC = '';

export default function TryItPage({ params }: { params: Record<string, string> }) {
  const model = params.model ?? '';
  const { can, isPending } = useMe();
  const allowed = can('predict');
  const [version, setVersion] = useState(TRAFFIC);
  // kept here so that switching versions keeps what was typed for inputs of the same name
  const [texts, setTexts] = useState<Record<string, string>>({});
  const metaQ = useModelMetadata(model, version || undefined, !isPending && allowed.allowed);

  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Try {model}</Title>
        <Text c="dimmed">
          Send one prediction request from the browser.{' '}
          <Anchor component={Link} to={`/models/${encodeURIComponent(model)}`} underline="always">
            Back to {model}
          </Anchor>
        </Text>
      </div>
      {isPending ? null : !allowed.allowed ? (
        <NotAllowed reason={allowed.reason} />
      ) : (
        <QueryState query={metaQ} label="the model's inputs">
          {(meta) => {
            const specs: TensorSpec[] = (meta.inputs ?? []).map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape }));
            return (
              <TryForm
                key={`${version}|${specs.map((s) => s.name).join(',')}`}
                model={model}
                version={version}
                versions={meta.versions ?? []}
                onVersion={setVersion}
                specs={specs}
                texts={texts}
                setTexts={setTexts}
                outputs={(meta.outputs ?? []).map((t) => `${t.name} (${t.datatype} ${formatShape(t.shape)})`)}
              />
            );
          }}
        </QueryState>
      )}
    </Stack>
  );
}

function TryForm({
  model,
  version,
  versions,
  onVersion,
  specs,
  texts,
  setTexts,
  outputs,
}: {
  model: string;
  version: string;
  versions: string[];
  onVersion: (v: string) => void;
  specs: TensorSpec[];
  texts: Record<string, string>;
  setTexts: Dispatch<SetStateAction<Record<string, string>>>;
  outputs: string[];
}) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const infer = useInfer(model);
  const form = useRef<HTMLFormElement>(null);

  const parsed = useMemo(() => specs.map((s) => parseTensor(s, texts[s.name] ?? '')), [specs, texts]);
  const request = parsed.every((p) => p.ok) ? { inputs: parsed.map((p) => (p.ok ? p.tensor : null)) as ParsedTensor[] } : null;
  const curl = request ? curlFor(location.origin, inferPath(model, version || undefined), request) : null;

  function submit(e: FormEvent) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    parsed.forEach((p, i) => {
      if (!p.ok) errs[(specs[i] as TensorSpec).name] = p.error;
    });
    setErrors(errs);
    if (!request) {
      const first = specs.findIndex((s) => errs[s.name]);
      form.current?.querySelectorAll<HTMLTextAreaElement>('textarea')[first]?.focus();
      return;
    }
    infer.mutate({ version: version || undefined, inputs: request.inputs });
  }

  return (
    <Stack gap="lg">
      <Paper withBorder p="md" component="section" aria-labelledby="request-heading">
        <Title order={2} size="h3" id="request-heading" mb="sm">
          Request
        </Title>
        <form ref={form} onSubmit={submit} noValidate>
          <Stack gap="md">
            <NativeSelect
              label="Version"
              description="Without a version the deployment's traffic split picks one"
              value={version}
              onChange={(e) => onVersion(e.currentTarget.value)}
              data={[{ value: TRAFFIC, label: 'Traffic split' }, ...versions.map((v) => ({ value: v, label: `Version ${v}` }))]}
              maw={320}
            />
            {specs.length === 0 && <Text c="dimmed">This model declares no inputs.</Text>}
            {specs.map((s) => (
              <Textarea
                key={s.name}
                label={s.name}
                description={`${s.datatype}, shape ${formatShape(s.shape)}. Numbers separated by commas or spaces, or JSON (nested lists give the shape).`}
                placeholder={placeholderValues(s)}
                value={texts[s.name] ?? ''}
                onChange={(e) => {
                  const v = e.currentTarget.value;
                  setTexts((t) => ({ ...t, [s.name]: v }));
                  setErrors((x) => ({ ...x, [s.name]: '' }));
                }}
                error={errors[s.name] || undefined}
                autosize
                minRows={3}
                maxRows={10}
                spellCheck={false}
                styles={{ input: { fontFamily: 'monospace' } }}
              />
            ))}
            {outputs.length > 0 && (
              <Text size="sm" c="dimmed">
                Outputs: {outputs.join(', ')}
              </Text>
            )}
            <Group>
              <Button type="submit" loading={infer.isPending}>
                Send
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>

      <section aria-labelledby="answer-heading" aria-live="polite">
        <Title order={2} size="h3" id="answer-heading" mb="sm">
          Answer
        </Title>
        {infer.isError ? (
          <ErrorAlert error={infer.error} title="The model did not answer" />
        ) : infer.data ? (
          <Answer result={infer.data} />
        ) : (
          <Text c="dimmed">{infer.isPending ? 'Waiting for the answer…' : 'Send a request to see the answer here.'}</Text>
        )}
      </section>

      <section aria-labelledby="curl-heading">
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h3" id="curl-heading">
            The same with curl
          </Title>
          {curl && (
            <CopyButton value={curl}>
              {({ copied, copy }) => (
                <Button size="xs" variant="default" onClick={copy}>
                  {copied ? 'Copied' : 'Copy curl'}
                </Button>
              )}
            </CopyButton>
          )}
        </Group>
        {curl ? (
          <>
            <Text size="sm" c="dimmed" mb="xs">
              Put your API key or token in KEY first (export KEY=…); it is not shown here.
            </Text>
            <Textarea
              aria-label="curl command"
              value={curl}
              readOnly
              autosize
              maxRows={12}
              spellCheck={false}
              styles={{ input: { fontFamily: 'monospace', fontSize: 13, wordBreak: 'break-all' } }}
            />
          </>
        ) : (
          <Text c="dimmed">Fill in every input to see the command.</Text>
        )}
      </section>
    </Stack>
  );
}

const SHOWN_VALUES = 50;

function Answer({ result }: { result: InferResult }) {
  const { response, latencyMs } = result;
  const outputs = response.outputs ?? [];
  return (
    <Stack gap="sm">
      <Alert color="green" title="Answered" role="status">
        In {formatNumber(latencyMs, 0)} ms (measured in the browser) by {response.model_name} version {response.model_version}.
      </Alert>
      <ScrollTable label="Outputs table" minWidth={360}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Output</Table.Th>
              <Table.Th>Datatype and shape</Table.Th>
              <Table.Th>Largest value at</Table.Th>
              <Table.Th>Values</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {outputs.map((o) => {
              const data = o.data ?? [];
              const top = argmaxRows(o.shape, data);
              return (
                <Table.Tr key={o.name}>
                  <Table.Td>{o.name}</Table.Td>
                  <Table.Td>
                    {o.datatype} {formatShape(o.shape)}
                  </Table.Td>
                  <Table.Td>{top ? `index ${top.join(', ')}` : '–'}</Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                      {data.slice(0, SHOWN_VALUES).map((v) => (typeof v === 'number' ? formatNumber(v, 4) : String(v))).join(', ')}
                      {data.length > SHOWN_VALUES && ` … (${data.length} values)`}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </ScrollTable>
    </Stack>
  );
}

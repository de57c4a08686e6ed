import { useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import {
  Alert, Anchor, Button, Code, Group, JsonInput, Paper, Progress, Stack, Tabs, Text, TextInput, Textarea, Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { ApiError, currentBearer, errorMessage, formatBytes, Link, navigate, notifyUnauthorized } from '@modelplane/web-kit';
import { useModel } from '../api/queries';
import { useMe } from '../auth/useMe';
import {
  INPUT_DATATYPES, OUTPUT_DATATYPES, buildManifest, draftToJson, emptyTensor, firstError, hasErrors, parseManifestJson,
  validateManifest, type ManifestDraft, type ManifestErrors,
} from '../lib/manifest';
import { sha256Hex, uploadVersion } from '../lib/upload';
import { DropArea } from './upload/DropArea';
import { TensorListEditor } from './upload/TensorListEditor';

const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const NO_ERRORS: ManifestErrors = { inputs: [], outputs: [], general: [] };

export default function UploadPage({ params }: { params: Record<string, string> }) {
  const fixedModel = params.model;
  const { tenant, can } = useMe();
  const write = can('writeModels');
  const queryClient = useQueryClient();
  const [name, setName] = useState(fixedModel ?? '');
  const [nameError, setNameError] = useState<string | null>(null);
  const [mode, setMode] = useState<'form' | 'json'>('form');
  const [draft, setDraft] = useState<ManifestDraft>({ inputs: [emptyTensor()], outputs: [emptyTensor()], description: '' });
  const [json, setJson] = useState('');
  const [errors, setErrors] = useState<ManifestErrors>(NO_ERRORS);
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [sha, setSha] = useState<{ state: 'idle' | 'computing' | 'done' | 'error'; hex?: string }>({ state: 'idle' });
  const [progress, setProgress] = useState<{ loaded: number; total: number } | null>(null);
  const [uploadError, setUploadError] = useState<unknown>(null);
  const abort = useRef<(() => void) | null>(null);

  // prefill the manifest from the model's newest version, so a new version of the same model is one drop away
  const existing = useModel(fixedModel ?? '', false);
  const prefilled = useRef(false);
  useEffect(() => {
    const newest = existing.data?.versions?.at(-1);
    if (!fixedModel || prefilled.current || !newest) return;
    prefilled.current = true;
    const toDraft = (ts: typeof newest.inputs) =>
      (ts ?? []).map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.join(', ') }));
    setDraft({ inputs: toDraft(newest.inputs), outputs: toDraft(newest.outputs), description: '' });
  }, [existing.data, fixedModel]);

  useEffect(() => () => abort.current?.(), []);

  async function chooseFile(f: File) {
    setFile(f);
    setUploadError(null);
    setProgress(null);
    setSha({ state: 'computing' });
    try {
      const hex = await sha256Hex(await f.arrayBuffer());
      setSha({ state: 'done', hex });
    } catch {
      setSha({ state: 'error' });
    }
  }

  function switchMode(next: string) {
    if (next === 'json') {
      setJson(draftToJson(draft));
      setJsonError(null);
      setMode('json');
    } else {
      const parsed = parseManifestJson(json);
      if ('error' in parsed) {
        setJsonError(`${parsed.error} Fix it before switching to the form.`);
        return;
      }
      setDraft(parsed.draft);
      setMode('form');
    }
  }

  async function submit() {
    setUploadError(null);
    const model = name.trim();
    const nameOk = MODEL_NAME.test(model);
    setNameError(nameOk ? null : 'Lowercase letters, digits, ".", "_" and "-", starting with a letter or digit (at most 63).');
    let d = draft;
    if (mode === 'json') {
      const parsed = parseManifestJson(json);
      if ('error' in parsed) {
        setJsonError(parsed.error);
        return;
      }
      setJsonError(null);
      d = parsed.draft;
    } else {
      const errs = validateManifest(d);
      setErrors(errs);
      if (hasErrors(errs)) return;
    }
    if (!nameOk || !file || sha.state !== 'done' || !tenant) return;
    const manifest = buildManifest(d, sha.hex);
    setProgress({ loaded: 0, total: file.size });
    const up = uploadVersion({
      url: `/api/v1/tenants/${encodeURIComponent(tenant)}/models/${encodeURIComponent(model)}/versions`,
      bearer: currentBearer(),
      manifest,
      file,
      fileName: file.name,
      onProgress: (loaded, total) => setProgress({ loaded, total }),
    });
    abort.current = up.abort;
    try {
      const result = await up.done;
      notifications.show({ color: 'green', message: `Version ${result.version} of ${model} is registered.` });
      void queryClient.invalidateQueries({ queryKey: ['models', tenant] });
      void queryClient.invalidateQueries({ queryKey: ['model', tenant, model] });
      navigate(`/models/${encodeURIComponent(model)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) notifyUnauthorized();
      setUploadError(e);
      setProgress(null);
    } finally {
      abort.current = null;
    }
  }

  if (!write.allowed) {
    return (
      <Stack>
        <Title order={1}>Upload a version</Title>
        <Alert color="gray">{write.reason}</Alert>
      </Stack>
    );
  }

  const uploading = progress !== null;
  const percent = progress && progress.total > 0 ? Math.round((progress.loaded / progress.total) * 100) : 0;
  const cancelled = uploadError instanceof DOMException && uploadError.name === 'AbortError';
  return (
    <Stack gap="lg" maw={900}>
      <div>
        <Title order={1}>{fixedModel ? `Upload a version of ${fixedModel}` : 'Upload a new model'}</Title>
        {fixedModel && (
          <Anchor component={Link} to={`/models/${encodeURIComponent(fixedModel)}`} size="sm">
            Back to {fixedModel}
          </Anchor>
        )}
      </div>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
        noValidate
      >
        <Stack gap="lg">
          {!fixedModel && (
            <TextInput
              label="Model name"
              description="The first version creates the model."
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={nameError}
              required
              maw={400}
            />
          )}

          <section aria-labelledby="artifact-heading">
            <Title order={2} size="h3" id="artifact-heading" mb="sm">
              Artifact
            </Title>
            <DropArea file={file} onFile={(f) => void chooseFile(f)} disabled={uploading} />
            <Text size="sm" mt="xs" aria-live="polite">
              {sha.state === 'computing' && 'Computing sha256…'}
              {sha.state === 'error' && 'The sha256 could not be computed in this browser.'}
              {sha.state === 'done' && (
                <>
                  sha256 <Code style={{ overflowWrap: 'anywhere' }}>{sha.hex}</Code> (the server checks the upload against it)
                </>
              )}
            </Text>
          </section>

          <section aria-labelledby="manifest-heading">
            <Title order={2} size="h3" id="manifest-heading" mb="sm">
              Manifest
            </Title>
            <Tabs value={mode} onChange={(v) => v && switchMode(v)} keepMounted={false}>
              <Tabs.List aria-label="Manifest editor" mb="sm">
                <Tabs.Tab value="form">Form</Tabs.Tab>
                <Tabs.Tab value="json">JSON</Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="form">
              <Paper withBorder p="md">
                <Stack gap="md">
                  <TensorListEditor
                    kind="Input"
                    tensors={draft.inputs}
                    errors={errors.inputs}
                    datatypes={INPUT_DATATYPES}
                    onChange={(inputs) => setDraft((d) => ({ ...d, inputs }))}
                  />
                  <TensorListEditor
                    kind="Output"
                    tensors={draft.outputs}
                    errors={errors.outputs}
                    datatypes={OUTPUT_DATATYPES}
                    onChange={(outputs) => setDraft((d) => ({ ...d, outputs }))}
                  />
                  <Textarea
                    label="Description"
                    description="Optional, at most 1000 characters."
                    value={draft.description}
                    onChange={(e) => {
                      const description = e.currentTarget.value;
                      setDraft((d) => ({ ...d, description }));
                    }}
                    autosize
                    minRows={2}
                  />
                  {errors.general.map((g) => (
                    <Text key={g} c="red" size="sm" role="alert">
                      {g}
                    </Text>
                  ))}
                </Stack>
              </Paper>
              </Tabs.Panel>
              <Tabs.Panel value="json">
              <JsonInput
                label="Manifest (JSON)"
                description='{"format": "torchscript", "inputs": [{"name", "datatype", "shape"}], "outputs": [...], "description"}; sha256 is added from the file.'
                value={json}
                onChange={setJson}
                error={jsonError}
                autosize
                minRows={10}
                formatOnBlur
              />
              </Tabs.Panel>
            </Tabs>
          </section>

          {uploading && (
            <div>
              <Progress value={percent} size="lg" aria-label={`Upload progress: ${percent}%`} />
              <Text size="sm" mt={4} aria-live="polite">
                {percent < 100
                  ? `Uploading… ${percent}% (${formatBytes(progress.loaded)} of ${formatBytes(progress.total)})`
                  : 'Uploaded; the server is checking the model…'}
              </Text>
            </div>
          )}
          {uploadError !== null && !cancelled && (
            <Alert color="red" title="The upload was refused" role="alert">
              {errorMessage(uploadError)}
            </Alert>
          )}
          {cancelled && <Alert color="gray">Upload cancelled; nothing was stored.</Alert>}
          {mode === 'form' && hasErrors(errors) && (
            <Text size="sm" c="red">
              Fix the manifest: {firstError(errors)}
            </Text>
          )}
          <Group>
            <Button type="submit" loading={uploading} disabled={!file || sha.state !== 'done'}>
              Upload
            </Button>
            {uploading && (
              <Button variant="default" onClick={() => abort.current?.()}>
                Cancel upload
              </Button>
            )}
            {!file && <Text size="sm" c="dimmed">Choose a file first.</Text>}
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}

import { ActionIcon, Button, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { emptyTensor, type TensorDraft, type TensorErrors } from '../../lib/manifest';

/** Rows of name, datatype and shape for the manifest's inputs or outputs. */
export function TensorListEditor({
  kind,
  tensors,
  errors,
  datatypes,
  onChange,
}: {
  kind: 'Input' | 'Output';
  tensors: TensorDraft[];
  errors: TensorErrors[];
  datatypes: readonly string[];
  onChange: (tensors: TensorDraft[]) => void;
}) {
  const update = (i: number, patch: Partial<TensorDraft>) =>
    onChange(tensors.map((t, j) => (j === i ? { ...t, ...patch } : t)));
  return (
    <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
      <legend>
        <Text fw={500}>{kind}s</Text>
      </legend>
      <Stack gap="xs" mt="xs">
        {tensors.map((t, i) => (
          <Group key={i} gap="xs" align="flex-start" wrap="wrap">
            <TextInput
              label={`${kind} ${i + 1} name`}
              value={t.name}
              onChange={(e) => update(i, { name: e.currentTarget.value })}
              error={errors[i]?.name}
              w={{ base: '100%', xs: 180 }}
            />
            <Select
              label={`${kind} ${i + 1} datatype`}
              data={[...datatypes]}
              value={t.datatype || null}
              onChange={(v) => update(i, { datatype: v ?? '' })}
              error={errors[i]?.datatype}
              allowDeselect={false}
              w={{ base: '100%', xs: 130 }}
            />
            <TextInput
              label={`${kind} ${i + 1} shape`}
              placeholder="-1, 1, 28, 28"
              description="-1 = variable (batch)"
              value={t.shape}
              onChange={(e) => update(i, { shape: e.currentTarget.value })}
              error={errors[i]?.shape}
              w={{ base: '100%', xs: 200 }}
            />
            <ActionIcon
              mt={{ base: 0, xs: 26 }}
              variant="subtle"
              color="red"
              size="lg"
              aria-label={`Remove ${kind.toLowerCase()} ${i + 1}`}
              onClick={() => onChange(tensors.filter((_, j) => j !== i))}
            >
              ✕
            </ActionIcon>
          </Group>
        ))}
        <div>
          <Button variant="default" size="xs" onClick={() => onChange([...tensors, emptyTensor()])}>
            Add {kind.toLowerCase()}
          </Button>
        </div>
      </Stack>
    </fieldset>
  );
}

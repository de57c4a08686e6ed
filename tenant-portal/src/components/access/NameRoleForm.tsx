import { useState, type FormEvent, type ReactNode } from 'react';
import { Button, Group, NativeSelect, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { errorMessage } from '@modelplane/web-kit';
import type { Role } from '../../auth/permissions';
import { roleData } from '../../features/access/roles';

/**
 * The create forms of the access pages: one text field (a name, or whom to invite), a role, a submit button,
 * the API's sentence (`error`) on failure. The field clears when `onSubmit` resolves.
 */
export function NameRoleForm({
  title,
  id,
  field,
  description,
  maxLength,
  defaultRole,
  submitLabel,
  problem: check,
  pending,
  error,
  onSubmit,
  children,
}: {
  title: string;
  id: string;
  field: string;
  description: string;
  maxLength?: number;
  defaultRole: Role;
  submitLabel: string;
  /** why the text is not accepted, or null */
  problem: (text: string) => string | null;
  pending: boolean;
  error: unknown;
  onSubmit: (text: string, role: Role) => Promise<unknown>;
  children?: ReactNode;
}) {
  const [text, setText] = useState('');
  const [role, setRole] = useState<Role>(defaultRole);
  const [problem, setProblem] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const p = check(text);
    setProblem(p);
    if (p) return;
    try {
      await onSubmit(text.trim(), role);
      setText('');
    } catch {
      // the mutation's error is shown through `error`
    }
  }

  return (
    <Paper withBorder p="md" component="section" aria-labelledby={id}>
      <Title order={2} size="h3" id={id} mb="sm">
        {title}
      </Title>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack gap="sm">
          <Group align="flex-start" grow wrap="wrap">
            <TextInput
              label={field}
              description={description}
              value={text}
              maxLength={maxLength}
              onChange={(e) => {
                setText(e.currentTarget.value);
                setProblem(null);
              }}
              error={problem}
              autoComplete="off"
              required
              miw={200}
            />
            <NativeSelect label="Role" data={roleData} value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} miw={200} />
          </Group>
          {error !== null && error !== undefined && (
            <Text c="red" size="sm" role="alert">
              {errorMessage(error)}
            </Text>
          )}
          {children}
          <Group>
            <Button type="submit" loading={pending}>
              {submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

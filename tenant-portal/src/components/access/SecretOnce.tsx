import type { ReactNode } from 'react';
import { Alert, Button, CopyButton, Group, Stack, Text, Textarea } from '@mantine/core';

/** A secret the API shows only once: the value, a copy button and the warning that it will not be shown again. */
export function SecretOnce({
  title,
  label,
  value,
  copyLabel,
  children,
  onDone,
}: {
  title: string;
  label: string;
  value: string;
  /** the copy button's text, e.g. "Copy key" */
  copyLabel: string;
  children?: ReactNode;
  onDone: () => void;
}) {
  return (
    <Alert color="yellow" title={title} role="status">
      <Stack gap="xs">
        <Text size="sm" fw={600}>
          Copy it now: it is shown only this once and cannot be read again.
        </Text>
        <Textarea
          label={label}
          value={value}
          readOnly
          autosize
          minRows={1}
          onFocus={(e) => e.currentTarget.select()}
          styles={{ input: { fontFamily: 'monospace', wordBreak: 'break-all' } }}
        />
        {children}
        <Group gap="sm">
          <CopyButton value={value}>
            {({ copied, copy }) => (
              <Button size="xs" onClick={copy} color={copied ? 'teal' : undefined}>
                {copied ? 'Copied' : copyLabel}
              </Button>
            )}
          </CopyButton>
          <Button size="xs" variant="default" onClick={onDone}>
            I have saved it
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

import { useRef, useState } from 'react';
import { Button, Paper, Stack, Text } from '@mantine/core';
import { formatBytes } from '@modelplane/web-kit';

/** Drag a file onto it, or choose one with the button (keyboard users). */
export function DropArea({ file, onFile, disabled }: { file: File | null; onFile: (f: File) => void; disabled?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  return (
    <Paper
      withBorder
      p="lg"
      style={{ borderStyle: 'dashed', borderWidth: 2, borderColor: over ? 'var(--mantine-color-blue-6)' : undefined }}
      onDragOver={(e) => {
        e.preventDefault();
        if (!disabled) setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const f = e.dataTransfer.files[0];
        if (f && !disabled) onFile(f);
      }}
    >
      <Stack align="center" gap="xs">
        <Text ta="center">
          {file ? `${file.name} (${formatBytes(file.size)})` : 'Drop the TorchScript .pt file (or a .zip of a model directory) here'}
        </Text>
        <input
          ref={input}
          type="file"
          accept=".pt,.pth,.zip"
          hidden
          aria-hidden
          tabIndex={-1}
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f) onFile(f);
            e.currentTarget.value = '';
          }}
        />
        <Button variant="default" onClick={() => input.current?.click()} disabled={disabled}>
          {file ? 'Choose another file' : 'Choose a file'}
        </Button>
      </Stack>
    </Paper>
  );
}

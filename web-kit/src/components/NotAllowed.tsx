import { Alert } from '@mantine/core';

/** Shown instead of a control or page the role may not use, with the reason. */
export function NotAllowed({ reason }: { reason: string | undefined }) {
  return (
    <Alert color="gray" title="Not available for your role">
      {reason}
    </Alert>
  );
}

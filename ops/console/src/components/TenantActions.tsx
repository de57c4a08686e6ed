import { useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { ConfirmButton } from '@modelplane/web-kit';
import { resumeTenant, suspendTenant } from '../api/admin';

/** Suspend or resume a tenant, after confirmation; the lists and the tenant's page follow. */
export function SuspendResume({ tenant, status, size = 'xs' }: { tenant: string; status: string | undefined; size?: 'xs' | 'sm' }) {
  const qc = useQueryClient();
  const done = async (what: string) => {
    await Promise.all([qc.invalidateQueries({ queryKey: ['tenants'] }), qc.invalidateQueries({ queryKey: ['tenant', tenant] })]);
    notifications.show({ message: `${tenant} ${what}.` });
  };
  if (status === 'suspended') {
    return (
      <ConfirmButton
        size={size}
        variant="default"
        color="blue"
        label="Resume"
        ariaLabel={`Resume ${tenant}`}
        title={`Resume ${tenant}?`}
        message="Its keys and members can call the API again at once."
        confirmLabel="Resume"
        onConfirm={async () => {
          await resumeTenant(tenant);
          await done('resumed');
        }}
      />
    );
  }
  return (
    <ConfirmButton
      size={size}
      variant="default"
      color="red"
      label="Suspend"
      ariaLabel={`Suspend ${tenant}`}
      title={`Suspend ${tenant}?`}
      message="Every key and member of this tenant gets 403 until it is resumed; its models stay deployed."
      confirmLabel="Suspend"
      onConfirm={async () => {
        await suspendTenant(tenant);
        await done('suspended');
      }}
    />
  );
}

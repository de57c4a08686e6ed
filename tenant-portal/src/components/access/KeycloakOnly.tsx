import type { ReactNode } from 'react';
import { Alert } from '@mantine/core';
import { useAuth } from '@modelplane/web-kit';

/** Members and service accounts live in Keycloak; in API-key mode there is nothing to manage. */
export function KeycloakOnly({ what, children }: { what: string; children: ReactNode }) {
  const { config } = useAuth();
  if (config?.mode !== 'keycloak') {
    return (
      <Alert color="gray" title="Not available in API-key mode">
        {what} exist only when the platform signs people in with Keycloak. Use API keys instead.
      </Alert>
    );
  }
  return <>{children}</>;
}

import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import { ApiError } from './api/errors';
import { AuthProvider } from './auth/AuthProvider';
import { cssVariables, theme } from './theme';

/** Renders an app into #root inside the providers every app has: Mantine, notifications, TanStack Query, sign-in. */
export function mountApp(app: ReactNode, auth: { organizations?: boolean; rejectedKey: string }): void {
  const queryClient = new QueryClient({
    defaultOptions: {
      queries: {
        // a 4xx will not change by asking again
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
        refetchOnWindowFocus: false,
      },
    },
  });
  createRoot(document.getElementById('root') as HTMLElement).render(
    <StrictMode>
      <MantineProvider theme={theme} cssVariablesResolver={cssVariables}>
        <Notifications />
        <QueryClientProvider client={queryClient}>
          <AuthProvider organizations={auth.organizations} rejectedKey={auth.rejectedKey}>
            {app}
          </AuthProvider>
        </QueryClientProvider>
      </MantineProvider>
    </StrictMode>,
  );
}

import { createTheme, type CSSVariablesResolver } from '@mantine/core';

// Mantine's defaults (blue 6, dimmed gray 6) fall below WCAG AA contrast on white; axe counts that as serious.
export const theme = createTheme({ primaryShade: { light: 8, dark: 8 } });

export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)', '--mantine-color-error': 'var(--mantine-color-red-9)' },
  dark: {},
});

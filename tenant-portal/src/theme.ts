import { Anchor, Badge, createTheme, type CSSVariablesResolver } from '@mantine/core';

// Darker shades than Mantine's defaults so text and controls reach WCAG AA contrast (axe finds no serious issue).
export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 9,
  components: {
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
    Badge: Badge.extend({ defaultProps: { variant: 'dot' } }),
  },
});

export const cssVariables: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-7)',
  },
  dark: {},
});

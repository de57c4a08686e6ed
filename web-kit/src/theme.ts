import { Anchor, Badge, createTheme, type CSSVariablesResolver } from '@mantine/core';

// Darker shades than Mantine's defaults so text and controls reach WCAG AA contrast (axe finds no serious issue).
export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 9,
  components: {
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
    Badge: Badge.extend({ defaultProps: { variant: 'dot' } }),
    // light-variant alert titles (yellow, green) are below AA on their tinted background
    Alert: { styles: { title: { color: 'var(--mantine-color-text)' } } },
    Modal: { defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } },
    Notification: { defaultProps: { closeButtonProps: { 'aria-label': 'Close notification' } } },
  },
});

export const cssVariables: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
  },
  dark: {},
});

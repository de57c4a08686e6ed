import { createTheme, type CSSVariablesResolver } from '@mantine/core';

// Mantine's defaults (blue 6, dimmed gray 6, light-variant alert titles) fall below WCAG AA contrast on
// white; axe counts that as serious.
export const theme = createTheme({
  primaryShade: { light: 8, dark: 8 },
  components: {
    // plain objects, not Alert.extend(): importing the components here would put them in the first load
    Alert: { styles: { title: { color: 'var(--mantine-color-text)' } } },
    Modal: { defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } },
  },
});

export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)', '--mantine-color-error': 'var(--mantine-color-red-9)' },
  dark: {},
});

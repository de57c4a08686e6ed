import { TextInput, type TextInputProps } from '@mantine/core';

/** A native number field (role spinbutton, works with the keyboard's arrows); '' while empty. */
export function IntegerInput({
  value,
  onChange,
  min,
  max,
  ...rest
}: Omit<TextInputProps, 'value' | 'onChange' | 'type'> & {
  value: number | '';
  onChange: (value: number | '') => void;
  min?: number;
  max?: number;
}) {
  return (
    <TextInput
      {...rest}
      type="number"
      inputMode="numeric"
      step={1}
      min={min}
      max={max}
      value={value === '' ? '' : String(value)}
      onChange={(e) => {
        const raw = e.currentTarget.value;
        onChange(raw === '' ? '' : Number(raw));
      }}
    />
  );
}

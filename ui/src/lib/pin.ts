// The PIN pad's state: digits typed, masked display, and what a key does.

export const PIN_MAX = 12;
export const PIN_MIN = 4;

export type PinKey = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | 'back' | 'clear';

export function pressPin(pin: string, key: PinKey): string {
  if (key === 'back') return pin.slice(0, -1);
  if (key === 'clear') return '';
  return pin.length >= PIN_MAX ? pin : pin + key;
}

/** Keyboard keys the pad answers to (digits, Arabic-Indic digits, Backspace, Escape). */
export function pinKeyFromKeyboard(key: string): PinKey | null {
  if (/^[0-9]$/.test(key)) return key as PinKey;
  const code = key.length === 1 ? key.charCodeAt(0) : 0;
  if (code >= 0x0660 && code <= 0x0669) return String(code - 0x0660) as PinKey;
  if (key === 'Backspace') return 'back';
  if (key === 'Escape') return 'clear';
  return null;
}

export function pinReady(pin: string): boolean {
  return pin.length >= PIN_MIN;
}

export function maskPin(pin: string): string {
  return '•'.repeat(pin.length);
}

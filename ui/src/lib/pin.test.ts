import { describe, expect, it } from 'vitest';
import { maskPin, pinKeyFromKeyboard, pinReady, pressPin, PIN_MAX } from './pin';

describe('PIN pad', () => {
  it('types, deletes and clears', () => {
    let pin = '';
    for (const key of ['1', '2', '3', '4'] as const) pin = pressPin(pin, key);
    expect(pin).toBe('1234');
    expect(pinReady(pin)).toBe(true);
    expect(pressPin(pin, 'back')).toBe('123');
    expect(pinReady('123')).toBe(false);
    expect(pressPin(pin, 'clear')).toBe('');
    expect(maskPin(pin)).toBe('••••');
  });

  it('stops at the longest PIN', () => {
    let pin = '';
    for (let idx = 0; idx < PIN_MAX + 3; idx++) pin = pressPin(pin, '7');
    expect(pin.length).toBe(PIN_MAX);
  });

  it('answers to the keyboard, Arabic-Indic digits too', () => {
    expect(pinKeyFromKeyboard('5')).toBe('5');
    expect(pinKeyFromKeyboard('\u0665')).toBe('5');
    expect(pinKeyFromKeyboard('Backspace')).toBe('back');
    expect(pinKeyFromKeyboard('Escape')).toBe('clear');
    expect(pinKeyFromKeyboard('a')).toBeNull();
  });
});

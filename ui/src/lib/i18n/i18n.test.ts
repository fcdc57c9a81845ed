import { describe, expect, it } from 'vitest';
import { en, ar } from './messages';
import { isRtl, setLocale, t, translate } from './index.svelte';

describe('messages', () => {
  it('has Arabic for every English key', () => {
    const missing = Object.keys(en).filter((key) => !(key in ar));
    expect(missing).toEqual([]);
  });

  it('fills placeholders', () => {
    expect(translate('en', 'sync.unsent', { n: 3 })).toBe('3 unsent');
    expect(translate('ar', 'sync.unsent', { n: 3 })).toBe('3 غير مرسلة');
  });

  it('turns the page right-to-left for Arabic', () => {
    expect(isRtl('ar')).toBe(true);
    expect(isRtl('en')).toBe(false);
    setLocale('ar');
    expect(document.documentElement.dir).toBe('rtl');
    expect(document.documentElement.lang).toBe('ar');
    expect(t('sync.unsent', { n: 12 })).toBe('١٢ غير مرسلة');
    setLocale('en');
    expect(document.documentElement.dir).toBe('ltr');
    expect(t('sync.unsent', { n: 1200 })).toBe('1,200 unsent');
  });
});

import { describe, expect, it } from 'vitest';
import { parseEnrolLink } from './enrolLink';

describe('enrolment links', () => {
  it('give back the hub address and the code', () => {
    const link = 'stockroom://enrol?hub=https%3A%2F%2Fhub.example.com%3A8443%2Fshop%20one&code=ABCDEFGHJK';
    expect(parseEnrolLink(link)).toEqual({ hubUrl: 'https://hub.example.com:8443/shop one', code: 'ABCDEFGHJK' });
    expect(parseEnrolLink(`  ${link}\n`)?.code).toBe('ABCDEFGHJK');
  });

  it('are not read from other text', () => {
    expect(parseEnrolLink('ABCDE-FGHJK')).toBeNull();
    expect(parseEnrolLink('https://hub.example.com')).toBeNull();
    expect(parseEnrolLink('stockroom://enrol?code=ABCDEFGHJK')).toBeNull();
    expect(parseEnrolLink('stockroom://enrol?hub=ftp%3A%2F%2Fx&code=ABCDEFGHJK')).toBeNull();
    expect(parseEnrolLink('stockroom://enrol?hub=http%3A%2F%2Fx')).toBeNull();
  });
});

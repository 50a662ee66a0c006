import { describe, expect, it } from 'vitest';
import { parseHttpsUrl } from '../src/https-url.js';

describe('parseHttpsUrl', () => {
  it('reads a host with or without its scheme', () => {
    expect(parseHttpsUrl(' acme.example.com/path ')?.href).toBe('https://acme.example.com/path');
    expect(parseHttpsUrl('HTTPS://Acme.Example.com')?.hostname).toBe('acme.example.com');
  });

  it('refuses clear text, custom ports, credentials in the URL and what is not a URL', () => {
    expect(parseHttpsUrl('http://acme.example.com')).toBeUndefined();
    expect(parseHttpsUrl('https://acme.example.com:8443')).toBeUndefined();
    expect(parseHttpsUrl('https://user:secret@acme.example.com')).toBeUndefined();
    expect(parseHttpsUrl('https://')).toBeUndefined();
  });
});

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDynamicsSandbox, sandboxCertificatePath, sandboxTls } from '../src/index.js';
import { sandboxCertificate } from '../src/sandbox-certificate.js';
import { createSelfSignedCertificate } from '../src/self-signed-certificate.js';

/**
 * The loopback certificate is generated on each machine (no private key ships in the package),
 * cached, trusted by exact match only (loopback names, no CA), and replaced when unusable.
 */

let parent: string;
let folder: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'sandbox-certificate-'));
  folder = join(parent, 'certificate');
});
afterEach(() => {
  rmSync(parent, { recursive: true, force: true });
});

const loopbackOnly = { commonName: 'x', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] };

/** GET / over https with `ca` as the only trusted certificate; resolves to the status or the TLS error code. */
function get(url: string, ca: string): Promise<number | string> {
  return new Promise((resolve) => {
    request(url, { ca, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
      .end();
  });
}

describe('sandboxCertificate', () => {
  it('generates a loopback-only, non-CA certificate and an owner-only key, once', () => {
    const files = sandboxCertificate(folder);
    expect(files).toEqual({
      certificatePath: join(folder, 'sandbox-cert.pem'),
      keyPath: join(folder, 'sandbox-key.pem'),
    });
    const certificate = new X509Certificate(readFileSync(files.certificatePath));
    expect(certificate.ca).toBe(false);
    expect(certificate.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.checkHost('crm.example.com')).toBeUndefined();
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(Date.parse(certificate.validTo) - Date.now()).toBeGreaterThan(9 * 365 * 24 * 3600_000);
    expect(statSync(files.keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    // Nothing left beside it (no staging folder).
    expect(readdirSync(parent)).toEqual(['certificate']);

    const again = sandboxCertificate(folder);
    expect(readFileSync(again.certificatePath, 'utf8')).toBe(readFileSync(files.certificatePath, 'utf8'));
  });

  it.each([
    ['damaged', (files: { certificatePath: string }) => writeFileSync(files.certificatePath, 'not a PEM')],
    [
      'naming a host that is not loopback',
      (files: { certificatePath: string; keyPath: string }) => {
        const other = createSelfSignedCertificate({
          ...loopbackOnly,
          dnsNames: ['crm.example.com'],
          validDays: 30,
        });
        writeFileSync(files.certificatePath, other.cert);
        writeFileSync(files.keyPath, other.key);
      },
    ],
    [
      'expiring tomorrow',
      (files: { certificatePath: string; keyPath: string }) => {
        const old = createSelfSignedCertificate({ ...loopbackOnly, validDays: 1 });
        writeFileSync(files.certificatePath, old.cert);
        writeFileSync(files.keyPath, old.key);
      },
    ],
    [
      'not matching its key',
      (files: { keyPath: string }) =>
        writeFileSync(files.keyPath, createSelfSignedCertificate({ ...loopbackOnly, validDays: 30 }).key),
    ],
  ])('replaces a cached certificate %s', (_case, spoil) => {
    const files = sandboxCertificate(folder);
    const before = readFileSync(files.certificatePath, 'utf8');
    spoil(files);
    sandboxCertificate(folder);
    const after = readFileSync(files.certificatePath, 'utf8');
    expect(after).not.toBe(before);
    const certificate = new X509Certificate(after);
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.checkPrivateKey(createPrivateKey(readFileSync(files.keyPath, 'utf8')))).toBe(true);
    expect(readdirSync(parent)).toEqual(['certificate']);
  });

  it('a TLS client that trusts it reaches a sandbox on 127.0.0.1 and localhost, and nothing else is made trusted', async () => {
    const tls = sandboxTls(folder);
    const sandbox = createDynamicsSandbox({ tls });
    const url = await sandbox.start();
    try {
      const port = new URL(url).port;
      expect(await get(`https://127.0.0.1:${port}/`, tls.cert)).toBe(404);
      expect(await get(`https://localhost:${port}/`, tls.cert)).toBe(404);
      // Another generation's certificate (another machine's) is not this one.
      const other = createSelfSignedCertificate({ ...loopbackOnly, validDays: 30 }).cert;
      expect(await get(`https://127.0.0.1:${port}/`, other)).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    } finally {
      await sandbox.stop();
    }
  });

  it('encodes dates from 2050 on as GeneralizedTime', () => {
    const { cert } = createSelfSignedCertificate({
      ...loopbackOnly,
      validDays: 2,
      now: new Date('2049-12-31T12:00:00Z'),
    });
    const certificate = new X509Certificate(cert);
    expect(new Date(certificate.validFrom).toISOString()).toBe('2049-12-30T12:00:00.000Z');
    expect(new Date(certificate.validTo).toISOString()).toBe('2050-01-02T12:00:00.000Z');
  });

  it('the default certificate is the one the test run trusts (vitest.config.ts)', () => {
    expect(process.env.NODE_EXTRA_CA_CERTS).toBe(sandboxCertificatePath);
    expect(new X509Certificate(readFileSync(sandboxCertificatePath)).ca).toBe(false);
  });
});

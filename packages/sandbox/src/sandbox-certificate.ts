import { createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createSelfSignedCertificate } from './self-signed-certificate.js';

/**
 * The loopback-only certificate the sandboxes serve https with (msal-node accepts only https
 * authorities). It is generated on first use on each machine — never committed, so no private key
 * ships in the package for secret scanners to flag — and cached in the user's own folder
 * (`~/.crm-connect/sandbox-certificate/`), so every process of the machine serves and trusts the
 * same one. It names only `localhost`, `127.0.0.1` and `::1` and is no CA, so trusting it can make
 * nothing else trusted. A client process trusts it through `NODE_EXTRA_CA_CERTS`, which Node reads
 * once at start-up: call `sandboxCertificate()` before starting that process.
 */

/** Where the certificate is cached unless told otherwise. */
export const defaultSandboxCertificateFolder = join(homedir(), '.crm-connect', 'sandbox-certificate');

const certificateFile = 'sandbox-cert.pem';
const keyFile = 'sandbox-key.pem';
const loopbackNames = ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1'];
/** A cached certificate closer than this to its end is replaced. */
const renewBeforeMs = 24 * 60 * 60_000;

/** The sandbox certificate (PEM) in the default folder: the file to name in `NODE_EXTRA_CA_CERTS`. It exists once `sandboxCertificate()` has run. */
export const sandboxCertificatePath = join(defaultSandboxCertificateFolder, certificateFile);

/** Its private key (PEM), owner-only. */
export const sandboxKeyPath = join(defaultSandboxCertificateFolder, keyFile);

export interface SandboxCertificateFiles {
  /** The certificate (PEM): the file to name in `NODE_EXTRA_CA_CERTS`. */
  certificatePath: string;
  /** Its private key (PEM), readable by its owner only. */
  keyPath: string;
}

/**
 * Makes sure a usable sandbox certificate is cached in `folder` (generating it the first time, or
 * again when the cached one is damaged, expiring or not loopback-only) and returns its files.
 * Synchronous, for start-up code (a test runner's config, a CLI before it restarts itself).
 */
export function sandboxCertificate(
  folder: string = defaultSandboxCertificateFolder,
): SandboxCertificateFiles {
  const files = { certificatePath: join(folder, certificateFile), keyPath: join(folder, keyFile) };
  if (usable(files)) return files;
  mkdirSync(dirname(folder), { recursive: true, mode: 0o700 });
  // Written whole into a folder of its own, then renamed into place: a process reading the
  // cache never sees a key from one generation and a certificate from another.
  const staging = `${folder}.${process.pid}.${randomUUID()}.tmp`;
  mkdirSync(staging, { mode: 0o700 });
  try {
    const { key, cert } = createSelfSignedCertificate({
      commonName: 'crm-connect sandbox (loopback only)',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
      validDays: 3650,
    });
    writeFileSync(join(staging, keyFile), key, { mode: 0o600 });
    writeFileSync(join(staging, certificateFile), cert, { mode: 0o644 });
    if (existsSync(folder)) {
      // Another process may have just made one; otherwise the cached pair is unusable: set it aside.
      if (usable(files)) return files;
      const stale = `${folder}.${process.pid}.${randomUUID()}.stale`;
      renameSync(folder, stale);
      rmSync(stale, { recursive: true, force: true });
    }
    try {
      renameSync(staging, folder);
    } catch (error) {
      // Lost a race to a process that renamed its own pair in first: that one is as good.
      if (!usable(files)) throw error;
    }
    return files;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The certificate and key, as the `tls` option of a sandbox takes them (generated on first use). */
export function sandboxTls(folder?: string): { key: string; cert: string } {
  const files = sandboxCertificate(folder);
  return { key: readFileSync(files.keyPath, 'utf8'), cert: readFileSync(files.certificatePath, 'utf8') };
}

/** A pair this module made: matching, self-signed, no CA, loopback names only, not about to expire. */
function usable(files: SandboxCertificateFiles): boolean {
  try {
    const certificate = new X509Certificate(readFileSync(files.certificatePath));
    const names = certificate.subjectAltName?.split(', ') ?? [];
    return (
      !certificate.ca &&
      certificate.checkPrivateKey(createPrivateKey(readFileSync(files.keyPath, 'utf8'))) &&
      certificate.verify(certificate.publicKey) &&
      names.length > 0 &&
      names.every((name) => loopbackNames.includes(name)) &&
      Date.parse(certificate.validTo) - Date.now() > renewBeforeMs &&
      Date.parse(certificate.validFrom) <= Date.now()
    );
  } catch {
    return false;
  }
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The loopback-only certificate the sandboxes serve https with (msal-node accepts only https
 * authorities). It is committed with its key, which is no one's secret: it names only `localhost`,
 * `127.0.0.1` and `::1`. A client process trusts it through `NODE_EXTRA_CA_CERTS`, which Node
 * reads once at start-up, so it must be set before the process (or its workers) start.
 */

// `src/` and `dist/` both sit one level below the package root, next to `certs/`.
const certificates = new URL('../certs/', import.meta.url);

/** The sandbox certificate (PEM): the file to name in `NODE_EXTRA_CA_CERTS`. */
export const sandboxCertificatePath = fileURLToPath(new URL('sandbox-cert.pem', certificates));

/** Its private key (PEM). */
export const sandboxKeyPath = fileURLToPath(new URL('sandbox-key.pem', certificates));

/** The certificate and key, as the `tls` option of a sandbox takes them. */
export function sandboxTls(): { key: string; cert: string } {
  return { key: readFileSync(sandboxKeyPath, 'utf8'), cert: readFileSync(sandboxCertificatePath, 'utf8') };
}

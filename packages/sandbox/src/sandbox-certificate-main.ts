#!/usr/bin/env node
import { sandboxCertificate } from './sandbox-certificate.js';

/**
 * Prints the sandbox certificate's path, generating it first if needed, for a shell that starts a
 * process which must trust it: `NODE_EXTRA_CA_CERTS="$(node packages/sandbox/dist/sandbox-certificate-main.js)" node …`
 */
process.stdout.write(`${sandboxCertificate().certificatePath}\n`);

import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIPv4 } from 'node:net';

/**
 * A self-signed X.509 v3 server certificate with a fresh ECDSA P-256 key, made with node:crypto
 * alone (RFC 5280 fields in DER), synchronously: a test runner's config and a CLI's start-up need
 * the file before anything else runs. The maintained X.509 libraries (`selfsigned`,
 * `@peculiar/x509`) are asynchronous (WebCrypto) and bring ten packages for these 80 lines.
 */

export interface SelfSignedCertificateOptions {
  /** The subject and issuer common name. */
  commonName: string;
  /** DNS names of the subject alternative name extension (`localhost`). */
  dnsNames: readonly string[];
  /** IP addresses of the subject alternative name extension (`127.0.0.1`, `::1`). */
  ipAddresses: readonly string[];
  /** How long the certificate is valid, from a day before `now` (clock skew). */
  validDays: number;
  /** Default: the current time. */
  now?: Date | undefined;
}

/** The key (PKCS #8) and the certificate, both PEM. */
export interface SelfSignedCertificate {
  key: string;
  cert: string;
}

// Object identifiers (RFC 5280, RFC 5758).
const ecdsaWithSha256 = '1.2.840.10045.4.3.2';
const commonNameType = '2.5.4.3';
const subjectAltName = '2.5.29.17';
const basicConstraints = '2.5.29.19';
const keyUsage = '2.5.29.15';
const extendedKeyUsage = '2.5.29.37';
const serverAuth = '1.3.6.1.5.5.7.3.1';

export function createSelfSignedCertificate(options: SelfSignedCertificateOptions): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = options.now ?? new Date();
  const day = 24 * 60 * 60_000;
  const name = sequence(set(sequence(oid(commonNameType), utf8String(options.commonName))));
  const signatureAlgorithm = sequence(oid(ecdsaWithSha256));
  const serial = randomBytes(16);
  // A positive integer without a leading zero byte, as DER requires.
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;

  const alternativeNames = sequence(
    ...options.dnsNames.map((dnsName) => tagged(0x82, Buffer.from(dnsName, 'ascii'))),
    ...options.ipAddresses.map((address) => tagged(0x87, ipBytes(address))),
  );
  const extensions = sequence(
    extension(subjectAltName, false, alternativeNames),
    // Not a CA: trusting this certificate can never make another one trusted.
    extension(basicConstraints, true, sequence()),
    // digitalSignature only: bit 0 of a one-byte BIT STRING with 7 unused bits.
    extension(keyUsage, true, tagged(0x03, Buffer.from([0x07, 0x80]))),
    extension(extendedKeyUsage, false, sequence(oid(serverAuth))),
  );
  const toBeSigned = sequence(
    tagged(0xa0, integer(Buffer.from([2]))), // version 3
    integer(serial),
    signatureAlgorithm,
    name,
    sequence(time(new Date(now.getTime() - day)), time(new Date(now.getTime() + options.validDays * day))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    tagged(0xa3, extensions),
  );
  // ECDSA signatures come out DER-encoded (r, s), the form X.509 carries.
  const signature = sign('sha256', toBeSigned, privateKey);
  const certificate = sequence(toBeSigned, signatureAlgorithm, bitString(signature));
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: pem('CERTIFICATE', certificate),
  };
}

function tagged(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

/** DER length: one byte below 128, else 0x80 + the number of big-endian length bytes. */
function length(size: number): Buffer {
  if (size < 0x80) return Buffer.from([size]);
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const sequence = (...items: Buffer[]) => tagged(0x30, ...items);
const set = (...items: Buffer[]) => tagged(0x31, ...items);
const integer = (bytes: Buffer) => tagged(0x02, bytes);
const utf8String = (text: string) => tagged(0x0c, Buffer.from(text, 'utf8'));
const octetString = (bytes: Buffer) => tagged(0x04, bytes);
const bitString = (bytes: Buffer) => tagged(0x03, Buffer.from([0]), bytes);

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    // Base 128, most significant group first, the high bit set on every byte but the last.
    const groups = [arc % 128];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128))
      groups.unshift((value % 128) | 0x80);
    bytes.push(...groups);
  }
  return tagged(0x06, Buffer.from(bytes));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [tagged(0x01, Buffer.from([0xff]))] : []), octetString(value));
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const digits = date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:T]/g, '');
  const year = date.getUTCFullYear();
  return year < 2050
    ? tagged(0x17, Buffer.from(digits.slice(2), 'ascii'))
    : tagged(0x18, Buffer.from(digits));
}

function ipBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  // IPv6: expand "::" to the missing zero groups, then 8 groups of 2 bytes.
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [
    ...headGroups,
    ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'),
    ...tailGroups,
  ];
  const bytes = Buffer.alloc(16);
  for (const [index, group] of groups.entries()) bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2);
  return bytes;
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

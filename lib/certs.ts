// X.509 certificates in pure TypeScript: a CA and the certificates it signs, PEM out.
//
// Used by the local control plane (apiserver serving cert, service-account key) and by the
// webhook's self-signed TLS mode, which runs in a container without openssl. Library choice:
// @peculiar/x509 builds certificates on WebCrypto, so keys and signatures come from Node's native
// crypto (fast ECDSA P-256, no pure-JS bignum code) and it supports every extension we need (SAN with
// IPs, key usages, key identifiers). node-forge was the alternative, but it signs only RSA, in JS.
// Its dependency injection (tsyringe) needs the Reflect metadata polyfill, loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';

// The project compiles without the DOM lib, so the WebCrypto types come from node:crypto.
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

// I/O boundary: node's webcrypto is the WebCrypto @peculiar/x509 expects, but typed from node:crypto, not the DOM lib.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
// Certificates start an hour in the past so that small clock differences never make them "not yet valid".
const BACKDATE_MS = 60 * 60 * 1000;

/** A certificate and its private key, both PEM (the key as PKCS#8 "PRIVATE KEY"). */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A certificate authority: its PEM pair plus the live keys needed to sign more certificates. */
export interface CertificateAuthority extends PemPair {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

export interface CaOptions {
  readonly commonName: string;
  readonly validityDays?: number;
}

export type CertUsage = 'server' | 'client';

export interface CertOptions {
  readonly commonName: string;
  /** Subject organizations; Kubernetes reads them as group names in client certificates. */
  readonly organizations?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Extended key usages; defaults to server only. */
  readonly usages?: readonly CertUsage[];
  readonly validityDays?: number;
}

const EXT_KEY_USAGE: Record<CertUsage, string> = {
  server: x509.ExtendedKeyUsage.serverAuth,
  client: x509.ExtendedKeyUsage.clientAuth,
};

/** RFC 5280 serial: 16 random bytes, high bit cleared so it stays a positive integer. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

/** Escapes the characters that are special in an RFC 4514 distinguished-name value. */
function dnValue(value: string): string {
  return value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
}

function distinguishedName(commonName: string, organizations: readonly string[] = []): string {
  return [...organizations.map((o) => `O=${dnValue(o)}`), `CN=${dnValue(commonName)}`].join(', ');
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

/** PKCS#8 PEM of a private key. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** SPKI PEM ("PUBLIC KEY") of a public key. */
export async function publicKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('spki', key);
  return x509.PemConverter.encode(der, 'PUBLIC KEY');
}

/** A fresh ECDSA P-256 key pair (extractable, so it can be written as PEM). */
export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

/** Creates a self-signed CA certificate that may sign leaf certificates only (path length 0). */
export async function createCertificateAuthority(opts: CaOptions): Promise<CertificateAuthority> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: distinguishedName(opts.commonName),
    ...validity(opts.validityDays ?? 365),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** Issues a leaf certificate signed by `ca`, with the given SANs and extended key usages. */
export async function issueCertificate(ca: CertificateAuthority, opts: CertOptions): Promise<PemPair> {
  const keys = await generateKeyPair();
  const usages = opts.usages ?? ['server'];
  const altNames: x509.JsonGeneralName[] = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(
      usages.map((u) => EXT_KEY_USAGE[u]),
      false,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: distinguishedName(opts.commonName, opts.organizations),
    issuer: ca.cert.subject,
    ...validity(opts.validityDays ?? 365),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** A CA and one serving certificate from it: the webhook's self-signed mode and the test webhooks. */
export async function selfSignedServing(
  opts: CertOptions,
): Promise<{ ca: CertificateAuthority; serving: PemPair }> {
  const ca = await createCertificateAuthority({
    commonName: `${opts.commonName}-ca`,
    validityDays: opts.validityDays,
  });
  return { ca, serving: await issueCertificate(ca, opts) };
}

// TLS settings of the admission server: TLS 1.2 and 1.3 only, forward-secret AEAD ciphers for 1.2
// (1.3 suites are always AEAD). The kube-apiserver speaks both.
import type { SecureContextOptions } from 'tls';

export const MIN_TLS_VERSION = 'TLSv1.2' as const;

export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface KeyPair {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface SecureServerOptions extends SecureContextOptions {
  cert: string | Buffer;
  key: string | Buffer;
  minVersion: typeof MIN_TLS_VERSION;
  ciphers: string;
  honorCipherOrder: boolean;
}

/** Options for `https.createServer` and `server.setSecureContext` (the latter ignores minVersion-less contexts). */
export function secureServerOptions(pair: KeyPair): SecureServerOptions {
  return {
    cert: pair.cert,
    key: pair.key,
    minVersion: MIN_TLS_VERSION,
    ciphers: TLS12_CIPHERS,
    honorCipherOrder: true,
  };
}

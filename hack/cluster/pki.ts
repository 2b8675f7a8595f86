// The cluster's key material, written as files for the control-plane flags: a CA, the apiserver's
// serving certificate, and the service-account signing key pair.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createCertificateAuthority,
  generateKeyPair,
  issueCertificate,
  privateKeyPem,
  publicKeyPem,
} from '../../lib/certs';

export interface ClusterPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly apiserverCert: string;
  readonly apiserverKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  /** PEM of the CA, for kubeconfigs and TLS clients. */
  readonly caPem: string;
}

// Names a client may use for the apiserver: loopback, and the in-cluster names of the
// `kubernetes` Service (for anything that follows the Service rather than the kubeconfig).
const APISERVER_DNS = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

export async function writePki(dir: string, serviceIp: string): Promise<ClusterPki> {
  const ca = await createCertificateAuthority({ commonName: 'meshwright-local-ca', validityDays: 3650 });
  const serving = await issueCertificate(ca, {
    commonName: 'kube-apiserver',
    dnsNames: APISERVER_DNS,
    ipAddresses: ['127.0.0.1', serviceIp],
    usages: ['server'],
  });
  const sa = await generateKeyPair();
  const files: ClusterPki = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    apiserverCert: join(dir, 'apiserver.crt'),
    apiserverKey: join(dir, 'apiserver.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    caPem: ca.certPem,
  };
  writeFileSync(files.caCert, ca.certPem);
  writeFileSync(files.caKey, ca.keyPem, { mode: 0o600 });
  writeFileSync(files.apiserverCert, serving.certPem);
  writeFileSync(files.apiserverKey, serving.keyPem, { mode: 0o600 });
  writeFileSync(files.serviceAccountKey, await privateKeyPem(sa.privateKey), { mode: 0o600 });
  writeFileSync(files.serviceAccountPub, await publicKeyPem(sa.publicKey));
  return files;
}

// lib/certs.ts: certificates that Node's own X.509 parser accepts, chain to their CA, carry the
// requested SANs and usages, and match their private keys.
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { createCertificateAuthority, issueCertificate, selfSignedServing } from '../../lib/certs';

describe('lib/certs', () => {
  it('creates a CA that is a CA, self-signed, and whose key matches', async () => {
    const ca = await createCertificateAuthority({ commonName: 'unit-ca', validityDays: 10 });
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=unit-ca');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
    const lifetimeDays = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    expect(lifetimeDays).toBeGreaterThan(10);
    expect(lifetimeDays).toBeLessThan(10.1);
  });

  it('issues a serving certificate with DNS and IP SANs, chained to the CA', async () => {
    const ca = await createCertificateAuthority({ commonName: 'unit-ca' });
    const leaf = await issueCertificate(ca, {
      commonName: 'svc',
      dnsNames: ['localhost', 'webhook.ns.svc'],
      ipAddresses: ['127.0.0.1', '10.96.0.1'],
    });
    const cert = new X509Certificate(leaf.certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkHost('webhook.ns.svc')).toBe('webhook.ns.svc');
    expect(cert.checkHost('other.example')).toBeUndefined();
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('10.96.0.1')).toBe('10.96.0.1');
    expect(cert.checkIP('10.96.0.2')).toBeUndefined();
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth only
    expect(cert.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
    expect(createPublicKey(leaf.keyPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('does not chain to a different CA', async () => {
    const a = await createCertificateAuthority({ commonName: 'a' });
    const b = await createCertificateAuthority({ commonName: 'b' });
    const leaf = new X509Certificate(
      (await issueCertificate(a, { commonName: 'x', dnsNames: ['x'] })).certPem,
    );
    expect(leaf.verify(new X509Certificate(b.certPem).publicKey)).toBe(false);
  });

  it('puts organizations (Kubernetes groups) in the subject and honours client usage', async () => {
    const ca = await createCertificateAuthority({ commonName: 'unit-ca' });
    const leaf = await issueCertificate(ca, {
      commonName: 'admin',
      organizations: ['system:masters'],
      usages: ['client'],
    });
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.subject.split('\n')).toEqual(['O=system:masters', 'CN=admin']);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.subjectAltName).toBeUndefined();
  });

  it('gives every certificate a distinct serial number', async () => {
    const { ca, serving } = await selfSignedServing({ commonName: 'w', ipAddresses: ['127.0.0.1'] });
    const serials = new Set([
      new X509Certificate(ca.certPem).serialNumber,
      new X509Certificate(serving.certPem).serialNumber,
    ]);
    for (let i = 0; i < 5; i++) {
      serials.add(
        new X509Certificate((await issueCertificate(ca, { commonName: `c${i}` })).certPem).serialNumber,
      );
    }
    expect(serials.size).toBe(7);
  });
});

// The self-signed mode's decisions under fuzzing: the stored Secret (serving certificate, key, CA bundle)
// is anything from valid to damaged (truncated, bytes replaced, halves of different pairs, foreign
// PEM blocks, garbage). `renewalReason` never throws (a throw there stopped the webhook from starting
// instead of re-issuing), and it keeps a certificate only when that certificate is readable, matches its
// key, covers the names and was issued by a readable CA of the bundle; `rotatedBundle` never throws and
// publishes the new CA first and only readable CAs.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fc from 'fast-check';
import { selfSignedServing } from '../../../lib/certs';
import { renewalReason, rotatedBundle, splitPem, type StoredTls } from '../../../webhook/selfsigned/plan';
import { params, runs, timeoutFor } from './settings';

const NAMES = ['meshwright-webhook.meshwright-system.svc', '127.0.0.1'];
const NOW = new Date();
const sets: { cert: string; key: string; ca: string }[] = [];

beforeAll(async () => {
  for (const cn of ['a', 'b']) {
    const { ca, serving } = await selfSignedServing({
      commonName: cn,
      dnsNames: [NAMES[0]],
      ipAddresses: [NAMES[1]],
      validityDays: 30,
    });
    sets.push({ cert: serving.certPem, key: serving.keyPem, ca: ca.certPem });
  }
});

type Part = 'cert' | 'key' | 'ca';

/** A component: genuine (of either set), damaged, another part in its place, or garbage. */
const component = (part: Part): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.nat(1).map((i) => sets[i][part]) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.nat(1), fc.nat())
        .map(([i, cut]) => sets[i][part].slice(0, cut % sets[i][part].length)),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.nat(1), fc.nat(), fc.constantFrom('A', '/', '!', '===='))
        .map(([i, at, junk]) => {
          const t = sets[i][part];
          const k = 30 + (at % (t.length - 60));
          return t.slice(0, k) + junk + t.slice(k + junk.length);
        }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.nat(1), fc.constantFrom<Part>('cert', 'key', 'ca')).map(([i, p]) => sets[i][p]),
    },
    { weight: 1, arbitrary: fc.constant('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );

const stored: fc.Arbitrary<StoredTls> = fc
  .tuple(component('cert'), component('key'), fc.array(component('ca'), { minLength: 0, maxLength: 3 }))
  .map(([certPem, keyPem, cas]) => ({ certPem, keyPem, caBundlePem: cas.join('\n') }));

function readable(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

describe('self-signed plan fuzz', () => {
  const n = runs(300, 0.1);
  it(
    'renewalReason never throws and keeps only a sound certificate; rotatedBundle keeps only readable CAs',
    () => {
      fc.assert(
        fc.property(stored, (t) => {
          let reason: string | undefined;
          expect(() => (reason = renewalReason(t, NOW, NAMES))).not.toThrow();
          if (reason === undefined) {
            const cert = new X509Certificate(t.certPem);
            expect(cert.checkPrivateKey(createPrivateKey(t.keyPem))).toBe(true);
            expect(cert.checkHost(NAMES[0])).toBeDefined();
            expect(cert.checkIP(NAMES[1])).toBeDefined();
            const cas = splitPem(t.caBundlePem).map(readable);
            expect(cas.every((c) => c !== undefined)).toBe(true);
            expect(cas.some((c) => c && cert.checkIssued(c))).toBe(true);
          }
          let bundle = '';
          expect(() => (bundle = rotatedBundle(sets[1].ca, t, NOW))).not.toThrow();
          const out = splitPem(bundle);
          expect(out[0]).toBe(sets[1].ca.trim());
          expect(out.every((c) => readable(c) !== undefined)).toBe(true);
        }),
        params(n),
      );
    },
    timeoutFor(n, 20),
  );

  it('regression: a damaged CA block in ca.crt is a reason to re-issue (was: renewalReason threw, the webhook did not start)', () => {
    const bad = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
    for (const caBundlePem of [bad, `${bad}\n${sets[0].ca}`, `${sets[0].ca}\n${bad}`]) {
      expect(renewalReason({ certPem: sets[0].cert, keyPem: sets[0].key, caBundlePem }, NOW, NAMES)).toMatch(
        /stored CA bundle is unreadable/,
      );
    }
    expect(
      renewalReason({ certPem: sets[0].cert, keyPem: sets[0].key, caBundlePem: sets[0].ca }, NOW, NAMES),
    ).toBeUndefined();
  });
});

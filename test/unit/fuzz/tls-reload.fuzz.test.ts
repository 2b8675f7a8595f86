// The serving-certificate reloader under fuzzing: the files go through random states (valid pairs,
// mismatched halves of a rotation, truncated and corrupted PEM, key and certificate swapped, garbage,
// missing files) and the reloader is polled after each. It never throws, applies only pairs that Node
// accepts as a matching certificate and key, applies each change once, and what it serves is always the
// last valid pair it saw.
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { selfSignedServing } from '../../../lib/certs';
import { createLogger } from '../../../lib/log';
import { CertFileReloader, validateKeyPair } from '../../../webhook/tls/reloader';
import type { KeyPair } from '../../../webhook/tls/options';
import { params, runs, timeoutFor } from './settings';

const log = createLogger({ stream: new PassThrough() });

type FileState = { kind: 'missing' } | { kind: 'text'; text: string };

const pairs: { cert: string; key: string }[] = [];

beforeAll(async () => {
  for (const cn of ['a', 'b', 'c']) {
    const { serving } = await selfSignedServing({
      commonName: cn,
      ipAddresses: ['127.0.0.1'],
      validityDays: 1,
    });
    pairs.push({ cert: serving.certPem, key: serving.keyPem });
  }
});

function valid(p: KeyPair): boolean {
  try {
    validateKeyPair(p);
    return true;
  } catch {
    return false;
  }
}

/** One file's content: a real cert or key of any pair, damaged or not, or something else. */
const fileText = (which: 'cert' | 'key'): fc.Arbitrary<FileState> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.nat(2).map((i): FileState => ({ kind: 'text', text: pairs[i][which] })) },
    {
      weight: 1,
      arbitrary: fc
        .nat(2)
        .map((i): FileState => ({ kind: 'text', text: pairs[i][which === 'cert' ? 'key' : 'cert'] })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.nat(2), fc.nat()).map(([i, cut]): FileState => ({
        kind: 'text',
        text: pairs[i][which].slice(0, cut % pairs[i][which].length),
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.nat(2), fc.nat(), fc.string({ minLength: 1, maxLength: 4 }))
        .map(([i, at, junk]): FileState => {
          const t = pairs[i][which];
          const k = 30 + (at % (t.length - 60)); // inside the base64 body
          return { kind: 'text', text: t.slice(0, k) + junk + t.slice(k + junk.length) };
        }),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 64 }).map((text): FileState => ({ kind: 'text', text })) },
    { weight: 1, arbitrary: fc.constant<FileState>({ kind: 'missing' }) },
  );

describe('certificate file reloader fuzz', () => {
  const n = runs(100, 0.05);
  it(
    'never throws, applies only valid pairs, each change once, and serves the last valid pair',
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fileText('cert'), fileText('key')), { minLength: 1, maxLength: 12 }),
          (steps) => {
            const files: Record<string, FileState> = {
              cert: { kind: 'text', text: pairs[0].cert },
              key: { kind: 'text', text: pairs[0].key },
            };
            const applied: KeyPair[] = [];
            const reloader = new CertFileReloader(
              { certFile: 'cert', keyFile: 'key' },
              (p) => applied.push(p),
              log,
              (f) => {
                const s = files[f];
                if (s.kind === 'missing') throw new Error(`ENOENT: ${f}`);
                return s.text;
              },
            );
            let serving: KeyPair = reloader.load();
            for (const [cert, key] of steps) {
              files.cert = cert;
              files.key = key;
              const before = applied.length;
              const changed = reloader.check();
              expect(applied.length - before).toBe(changed ? 1 : 0);
              if (changed) {
                const p = applied[applied.length - 1];
                expect(valid(p)).toBe(true);
                expect(p.cert === serving.cert && p.key === serving.key).toBe(false);
                serving = p;
              }
              // Files that hold a valid pair are served after the poll.
              if (cert.kind === 'text' && key.kind === 'text' && valid({ cert: cert.text, key: key.text })) {
                expect(serving).toEqual({ cert: cert.text, key: key.text });
              }
            }
          },
        ),
        params(n),
      );
    },
    timeoutFor(n, 50),
  );
});

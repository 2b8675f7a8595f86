// The install command's reading of the operator's status (progress lines, verdicts, failure report), its
// wait loop on a scripted sequence of IstioOperator reads with a fake clock, the y/N question, and the
// "CRD not installed" message from a real client-node discovery call against a loopback HTTP server.
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { readAnswer, refusal } from '../../../cli/confirm';
import { requireIopCrd, waitGone, waitHealthy } from '../../../cli/install-cluster';
import { failureReport, progressLines, verdict, type IopSnapshot } from '../../../cli/install-progress';
import type { KubeClient, ObjectRef } from '../../../operator/controller/kube/kube-client';
import { RawKubeClient } from '../../../operator/controller/kube/raw-object-api';

const snap = (
  generation: number,
  observed: number | undefined,
  status?: string,
  components: Record<string, { status: string; error?: string }> = {},
  extra: Partial<NonNullable<IopSnapshot['status']>> = {},
): IopSnapshot =>
  ({
    generation,
    status:
      status === undefined
        ? undefined
        : { status, observedGeneration: observed, componentStatus: components, ...extra },
  }) as IopSnapshot;

describe('verdict', () => {
  it('is no-status until a status for the current generation exists', () => {
    expect(verdict(snap(1, undefined))).toEqual({ kind: 'no-status' });
    expect(verdict(snap(2, 1, 'HEALTHY'))).toEqual({ kind: 'no-status' });
    expect(verdict(snap(2, 2, 'RECONCILING'))).toEqual({ kind: 'waiting' });
    expect(verdict(snap(2, 2, 'HEALTHY'))).toEqual({ kind: 'healthy' });
  });

  it('a component ERROR keeps waiting (the operator retries); an unrenderable spec fails at once', () => {
    expect(verdict(snap(1, 1, 'ERROR', { Pilot: { status: 'ERROR', error: 'x' } }))).toEqual({
      kind: 'waiting',
    });
    const invalid = snap(
      1,
      1,
      'ERROR',
      {},
      {
        conditions: [
          { type: 'Reconciled', status: 'False', reason: 'InvalidSpec', message: 'spec.profile: bad' },
        ],
      },
    );
    expect(verdict(invalid)).toEqual({ kind: 'failed', reason: 'InvalidSpec: spec.profile: bad' });
  });
});

describe('progressLines', () => {
  it('prints every component first, then only the ones that changed', () => {
    const a = snap(1, 1, 'RECONCILING', { Base: { status: 'HEALTHY' }, Pilot: { status: 'RECONCILING' } });
    const b = snap(1, 1, 'RECONCILING', { Base: { status: 'HEALTHY' }, Pilot: { status: 'HEALTHY' } });
    const c = snap(1, 1, 'ERROR', {
      Base: { status: 'HEALTHY' },
      Pilot: { status: 'HEALTHY' },
      IngressGateways: { status: 'ERROR', error: 'quota exceeded' },
    });
    expect(progressLines(undefined, a)).toEqual(['✔ Base: HEALTHY', '- Pilot: RECONCILING']);
    expect(progressLines(a, b)).toEqual(['✔ Pilot: HEALTHY']);
    expect(progressLines(b, b)).toEqual([]);
    expect(progressLines(b, c)).toEqual(['✘ IngressGateways: ERROR (quota exceeded)']);
  });

  it('ignores a status left from an older generation', () => {
    expect(progressLines(undefined, snap(3, 2, 'HEALTHY', { Base: { status: 'HEALTHY' } }))).toEqual([]);
  });
});

describe('failureReport', () => {
  it('names the overall status, the false conditions and each unhealthy component', () => {
    const s = snap(
      1,
      1,
      'ERROR',
      { Base: { status: 'HEALTHY' }, Pilot: { status: 'ERROR', error: 'denied' } },
      {
        message: 'Pilot: denied',
        conditions: [
          { type: 'Reconciled', status: 'False', reason: 'ApplyFailed', message: 'Pilot: denied' },
          { type: 'Ready', status: 'True', reason: 'x', message: 'y' },
        ],
      },
    );
    expect(failureReport(s)).toBe(
      'status ERROR: Pilot: denied\n  condition Reconciled=False (ApplyFailed): Pilot: denied\n  component Pilot: ERROR: denied',
    );
    expect(failureReport(undefined)).toBe('the operator wrote no status for this IstioOperator');
  });
});

/** A client whose get() returns the scripted objects in turn (the last one repeats); list() is not scripted. */
function scripted(objs: (IopSnapshot | undefined)[]): Pick<KubeClient, 'get' | 'list'> {
  let i = 0;
  const get = (_ref: ObjectRef): Promise<KubernetesObject | undefined> => {
    const s = objs[Math.min(i++, objs.length - 1)];
    return Promise.resolve(
      s &&
        ({ metadata: { generation: s.generation, finalizers: ['f'] }, status: s.status } as KubernetesObject),
    );
  };
  const list = () => Promise.reject(new Error('list() is not scripted in this test'));
  return { get, list };
}

function fakeTime() {
  let t = 0;
  return { now: () => t, sleep: (ms: number) => Promise.resolve(void (t += ms)) };
}

const ref = { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', namespace: 'ns', name: 'n' };

describe('waitHealthy', () => {
  it('prints progress as components change and returns at HEALTHY', async () => {
    const lines: string[] = [];
    await waitHealthy(
      scripted([
        snap(1, undefined),
        snap(1, 1, 'RECONCILING', { Base: { status: 'RECONCILING' } }),
        snap(1, 1, 'RECONCILING', { Base: { status: 'HEALTHY' }, Pilot: { status: 'RECONCILING' } }),
        snap(1, 1, 'HEALTHY', { Base: { status: 'HEALTHY' }, Pilot: { status: 'HEALTHY' } }),
      ]),
      ref,
      {
        timeoutMs: 60_000,
        operatorGraceMs: 10_000,
        pollMs: 1000,
        print: (l) => lines.push(l),
        ...fakeTime(),
      },
    );
    expect(lines).toEqual([
      '- Base: RECONCILING',
      '✔ Base: HEALTHY',
      '- Pilot: RECONCILING',
      '✔ Pilot: HEALTHY',
    ]);
  });

  it('returns the final status, ACTION_REQUIRED included (installed, but a rollout needs a human)', async () => {
    const done = snap(
      1,
      1,
      'ACTION_REQUIRED',
      { Pilot: { status: 'HEALTHY' } },
      { message: 'rollout halted: a/b' },
    );
    const final = await waitHealthy(scripted([done]), ref, {
      timeoutMs: 1000,
      operatorGraceMs: 1000,
      pollMs: 1000,
      print: () => undefined,
      ...fakeTime(),
    });
    expect(final).toMatchObject({ status: 'ACTION_REQUIRED', message: 'rollout halted: a/b' });
  });

  it('says the operator is not running when no status appears within the grace time', async () => {
    await expect(
      waitHealthy(scripted([snap(1, undefined)]), ref, {
        timeoutMs: 60_000,
        operatorGraceMs: 5000,
        pollMs: 1000,
        print: () => undefined,
        ...fakeTime(),
      }),
    ).rejects.toThrow(
      'no operator wrote a status for IstioOperator ns/n within 5s: is the Meshwright operator running and watching namespace ns?',
    );
  });

  it('times out with the failing condition', async () => {
    const stuck = snap(
      1,
      1,
      'RECONCILING',
      { Pilot: { status: 'RECONCILING' } },
      {
        conditions: [
          { type: 'Ready', status: 'False', reason: 'ComponentsNotReady', message: 'Pilot: not ready' },
        ],
      },
    );
    await expect(
      waitHealthy(scripted([stuck]), ref, {
        timeoutMs: 3000,
        operatorGraceMs: 1000,
        pollMs: 1000,
        print: () => undefined,
        ...fakeTime(),
      }),
    ).rejects.toThrow(
      'not HEALTHY after 3s:\n  status RECONCILING\n  condition Ready=False (ComponentsNotReady): Pilot: not ready\n  component Pilot: RECONCILING',
    );
  });
});

describe('waitGone', () => {
  const counts = (ns: number[]) => {
    let i = 0;
    return () => Promise.resolve(ns[Math.min(i++, ns.length - 1)]);
  };

  it('prints the owned objects left as they change and returns when the object disappears', async () => {
    const lines: string[] = [];
    const opts = { timeoutMs: 5000, operatorGraceMs: 0, pollMs: 1000, print: (l: string) => lines.push(l) };
    await expect(
      waitGone(
        scripted([snap(1, 1), snap(1, 1), snap(1, 1), undefined]),
        ref,
        { ...opts, ...fakeTime() },
        counts([12, 12, 1, 0]),
      ),
    ).resolves.toBeUndefined();
    expect(lines).toEqual(['- 12 objects left', '- 1 object left', '- 0 objects left']);
  });

  it('names the finalizers when the object stays, and leftovers when it went without its objects', async () => {
    const opts = { timeoutMs: 5000, operatorGraceMs: 0, pollMs: 1000, print: () => undefined };
    await expect(
      waitGone(scripted([snap(1, 1)]), ref, { ...opts, ...fakeTime() }, counts([3])),
    ).rejects.toThrow(
      'IstioOperator ns/n still exists after 5s (finalizers f: is the Meshwright operator running?)',
    );
    await expect(
      waitGone(scripted([undefined]), ref, { ...opts, ...fakeTime() }, counts([2])),
    ).rejects.toThrow('IstioOperator ns/n is gone but 2 of its objects remain');
  });
});

describe('confirmation', () => {
  it('reads y/yes as yes, anything else as no, and a closed stdin as no input', async () => {
    expect(await readAnswer(Readable.from(['y\n']))).toBe('yes');
    expect(await readAnswer(Readable.from(['YES\n']))).toBe('yes');
    expect(await readAnswer(Readable.from(['n\n']))).toBe('no');
    expect(await readAnswer(Readable.from([]))).toBe('no-input');
    expect(refusal('no-input', 'install')).toBe(
      'install needs confirmation, but stdin gave no answer (not a terminal or closed): pass -y to proceed without asking',
    );
    expect(refusal('no', 'install')).toBe('install cancelled');
    expect(refusal('yes', 'install')).toBeUndefined();
  });
});

describe('requireIopCrd', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    // An apiserver that serves no install.istio.io group: discovery of it answers 404 as a real one does.
    server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('says the CRD is not installed and how to install it', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    await expect(requireIopCrd(new RawKubeClient(kc))).rejects.toThrow(
      /^the IstioOperator CRD \(istiooperators\.install\.istio\.io\) is not installed in this cluster: install Meshwright first/,
    );
  });
});

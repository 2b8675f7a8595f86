// The demo's pure parts: the URL registration built from the shipped webhook configuration, the argument
// lists it starts the two programs with (checked by the programs' own flag parsers), and the summary tables.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webhookOptionsFromFlags } from '../../../cli/webhook';
import { parseOperatorFlags } from '../../../cli/operator';
import { operatorArgs, webhookArgs, type StartComponentOptions } from '../../../hack/demo/components';
import type { Obj } from '../../../hack/demo/kube';
import { parseYamlStream } from '../../../hack/demo/kube';
import { loadShippedRegistration, urlRegistration } from '../../../hack/demo/registration';
import {
  admissionCounts,
  describeIstioObject,
  iopProgress,
  podContainers,
  podTable,
  table,
} from '../../../hack/demo/summary';

const root = join(__dirname, '..', '..', '..');

const opts: StartComponentOptions = {
  root,
  kubeconfig: { operator: '/tmp/operator.kubeconfig', webhook: '/tmp/webhook.kubeconfig' },
  logsDir: '/tmp/logs',
  ports: {
    webhook: 40001,
    webhookMetrics: 40002,
    webhookHealth: 40003,
    operatorMetrics: 40004,
    operatorHealth: 40005,
  },
  webhookHost: '127.0.0.1',
  listenHost: '127.0.0.1',
  render: { helm: '/opt/helm', releasesDir: '/releases' },
};

describe('URL registration', () => {
  const shipped = loadShippedRegistration(root);
  const mwc = urlRegistration(shipped, 'https://127.0.0.1:40001/inject');
  const hooks = mwc.webhooks as {
    name: string;
    clientConfig: Record<string, unknown>;
    namespaceSelector: unknown;
  }[];
  const shippedHooks = shipped.webhooks as typeof hooks;

  it('keeps every shipped webhook and its selectors, pointing them at the URL without a Service', () => {
    expect(hooks.map((h) => h.name)).toEqual(shippedHooks.map((h) => h.name));
    expect(hooks.length).toBe(4);
    for (const [i, h] of hooks.entries()) {
      expect(h.clientConfig).toEqual({ url: 'https://127.0.0.1:40001/inject' });
      expect(h.namespaceSelector).toEqual(shippedHooks[i]?.namespaceSelector);
    }
    expect(mwc.metadata?.name).toBe('meshwright-sidecar-injector');
    expect(mwc.metadata?.labels).toMatchObject({ 'meshwright.io/injection-webhook': 'true' });
  });

  it('does not modify the shipped object', () => {
    expect(shippedHooks[0]?.clientConfig).toHaveProperty('service');
  });
});

describe('component arguments', () => {
  it('are accepted by `meshwright webhook` and ask for self-signed TLS naming the dialled host', () => {
    const [, cmd, ...args] = webhookArgs(opts);
    expect(cmd).toBe('webhook');
    const parsed = webhookOptionsFromFlags(args, {});
    if (parsed === 'help') throw new Error('help');
    expect(parsed.port).toBe(40001);
    expect(parsed.healthPort).toBe(40003);
    expect(parsed.tls).toMatchObject({
      kind: 'self-signed',
      // None named: the CA manager keeps the labelled registrations (config/rbac allows only those).
      webhookConfigurations: [],
    });
    expect(JSON.stringify(parsed.tls)).toContain('127.0.0.1');
    expect(parsed.ownNamespace).toBe('meshwright-system');
  });

  it('are accepted by `meshwright operator`, electing a leader in meshwright-system', () => {
    const [, cmd, ...args] = operatorArgs(opts);
    expect(cmd).toBe('operator');
    expect(parseOperatorFlags(args, {})).toMatchObject({
      kubeconfig: '/tmp/operator.kubeconfig',
      leaderElect: true,
      leaderElectionNamespace: 'meshwright-system',
      healthPort: 40005,
      helm: '/opt/helm',
      releases: expect.objectContaining({ releasesDir: '/releases' }),
    });
  });
});

describe('summary', () => {
  const pod = (name: string, injected: boolean): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations: injected ? { 'sidecar.istio.io/status': '{}' } : {} },
    spec: {
      initContainers: injected
        ? [{ name: 'istio-init' }, { name: 'istio-proxy', restartPolicy: 'Always' }]
        : [],
      containers: [{ name: 'app' }],
    },
    status: {
      phase: 'Running',
      containerStatuses: [{ ready: true }],
      initContainerStatuses: injected ? [{ ready: false }, { ready: true, started: true }] : [],
    },
  });

  it('lists init containers in order, marking native sidecars, and counts them as containers', () => {
    expect(podContainers(pod('a', true))).toEqual({
      init: ['istio-init', 'istio-proxy (native sidecar)'],
      containers: ['app'],
      injected: true,
    });
    const lines = podTable([pod('b-plain', false), pod('a-injected', true)]).split('\n');
    expect(lines[1]).toMatch(
      /^a-injected\s+2\/2\s+Running\s+yes\s+istio-init, istio-proxy \(native sidecar\)\s+app$/,
    );
    expect(lines[2]).toMatch(/^b-plain\s+1\/1\s+Running\s+NO\s+-\s+app$/);
  });

  it('describes the canary with its weights and a destination rule with its subsets', () => {
    const [canary] = parseYamlStream(
      readFileSync(join(root, 'hack/demo/reviews-canary.yaml'), 'utf8'),
      'canary',
    );
    expect(describeIstioObject(canary as Obj)).toBe('hosts reviews -> reviews:v1 90%, reviews:v2 10%');
    const dr: Obj = {
      kind: 'DestinationRule',
      spec: { host: 'reviews', subsets: [{ name: 'v1' }, { name: 'v2' }] },
    };
    expect(describeIstioObject(dr)).toBe('host reviews, subsets v1, v2');
  });

  it('shows the IstioOperator progress per component, sorted', () => {
    const iop: Obj = {
      status: {
        status: 'RECONCILING',
        componentStatus: { Pilot: { status: 'RECONCILING' }, Base: { status: 'HEALTHY' } },
      },
    };
    expect(iopProgress(iop)).toBe('RECONCILING (Base=HEALTHY, Pilot=RECONCILING)');
    expect(iopProgress(undefined)).toBe('no status yet');
  });

  it('reads admission decisions from the webhook metrics', () => {
    const text = [
      '# TYPE meshwright_webhook_requests_total counter',
      'meshwright_webhook_requests_total{result="skipped"} 2',
      'meshwright_webhook_requests_total{result="injected"} 7',
      'meshwright_webhook_requests_total_other{result="x"} 1',
    ].join('\n');
    expect(admissionCounts(text)).toBe('injected 7, skipped 2');
    expect(admissionCounts('')).toBe('');
  });

  it('pads columns to the widest cell', () => {
    expect(table(['A', 'BB'], [['xxx', 'y']])).toBe('A    BB\nxxx  y');
  });
});

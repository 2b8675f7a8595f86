// `make demo DEMO_UPGRADE=1`: the canary upgrade of docs/upgrade.md on the demo's cluster, after the common
// steps have started the operator (with --injection-url, so it installs each revision's injection webhooks and
// the revision tags' webhooks calling Meshwright's webhook) and the webhook. Each step waits for the cluster
// to converge, prints what changes while it waits, checks the result independently (pod images and
// annotations, Deployments, webhooks), and fails with its name when it does not converge in time.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { statusReport, renderStatusTable, type RevisionRow } from '../../cli/status-report';
import { ensureNamespace, nameOf, parseYamlStream, waitUntil, type Kube, type Obj } from './kube';
import { noted, StepError, type Steps } from './steps';
import { ignoreUnservedValidation } from './validation';
import { iopProgress, iopStatus, podContainers, table } from './summary';
import {
  deletionHeld,
  gatewayIop,
  GATEWAY_IOP,
  IOP_API,
  NEW,
  OLD,
  podsNotOn,
  podSidecar,
  revisionIop,
  revisionLine,
  revisionTag,
  ROLLOUT,
  sidecarVersions,
  TAG_API,
  TAGS,
  tagServes,
  tagStatus,
  type Release,
} from './upgrade-objects';

const MWC_API = 'admissionregistration.k8s.io/v1';
const DR_CRD = 'destinationrules.networking.istio.io';

export interface UpgradeContext {
  kube: Kube;
  steps: Steps;
  say: (line: string) => void;
  /** Throws when the operator or the webhook process has died (checked in every wait). */
  alive: () => void;
  /** Whether the webhook's /readyz answers 200. */
  webhookReady: () => Promise<boolean>;
  /** The control-plane namespace (istio-system). */
  iopNs: string;
  /** Bookinfo's namespace, labelled istio.io/rev=prod. */
  prodNs: string;
  /** A namespace labelled istio-injection=enabled (served by tag `default`), running Bookinfo's details. */
  defaultNs: string;
  bookinfoRoot: string;
  /** Convergence timeout of each wait (HEALTHY, rollout). */
  timeoutMs: number;
}

/** The number of steps `runUpgrade` runs (for the [n/N] counter). */
export const UPGRADE_STEPS = 11;

export async function runUpgrade(c: UpgradeContext): Promise<void> {
  const { kube, steps, say } = c;
  const iop = (name: string) => kube.get(IOP_API, 'IstioOperator', name, c.iopNs);
  const deployment = (name: string, ns = c.iopNs) => kube.get('apps/v1', 'Deployment', name, ns);
  const appPods = async () => [
    ...(await kube.list('v1', 'Pod', c.prodNs)),
    ...(await kube.list('v1', 'Pod', c.defaultNs)),
  ];
  const report = async () =>
    statusReport(
      await kube.list(IOP_API, 'IstioOperator', c.iopNs),
      await kube.list(TAG_API, 'IstioRevisionTag'),
    );
  const row = async (name: string): Promise<RevisionRow | undefined> =>
    (await report()).revisions.find((r) => r.name === name);

  async function waitHealthy(name: string): Promise<void> {
    await waitUntil(
      `IstioOperator ${name}`,
      c.timeoutMs,
      async () => {
        c.alive();
        const live = await iop(name);
        const s = iopStatus(live);
        if (s.status === 'HEALTHY') return { done: undefined };
        if (s.status === 'ERROR' || s.status === 'ACTION_REQUIRED')
          throw new StepError(`IstioOperator ${name}`, 'operator', `${iopProgress(live)} ${s.message ?? ''}`);
        return { progress: iopProgress(live) };
      },
      say,
      1000,
    );
  }

  /** A pod dry-run-created in `ns` comes back with the sidecar of `r`: the namespace's tag serves `r`. */
  async function dryRunInjects(ns: string, r: Release): Promise<void> {
    const pod: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'meshwright-demo-probe', namespace: ns, labels: { app: 'probe' } },
      spec: { containers: [{ name: 'app', image: 'busybox' }] },
    };
    await waitUntil(
      `a dry-run pod in ${ns} injected by ${r.revision}`,
      90_000,
      async () => {
        c.alive();
        const s = podSidecar(await kube.create(pod, true));
        return s.version === r.version && s.revision === r.revision
          ? { done: undefined }
          : {
              progress: s.version
                ? `gets ${s.version} from ${s.revision ?? '?'}`
                : 'admitted without a sidecar',
            };
      },
      say,
    );
    say(`  a new pod in ${ns} gets proxyv2:${r.version}, injected by ${r.revision}`);
  }

  async function applyTags(r: Release): Promise<void> {
    for (const t of TAGS) await kube.apply(revisionTag(t, r.revision));
    await waitUntil(
      `tags ${TAGS.join(', ')} -> ${r.revision}`,
      60_000,
      async () => {
        c.alive();
        const tags = await Promise.all(TAGS.map((t) => kube.get(TAG_API, 'IstioRevisionTag', t)));
        return tags.every((t) => tagServes(t, r.revision))
          ? { done: tags }
          : {
              progress: tags
                .map(
                  (t, i) => `${TAGS[i]}: ${tagStatus(t).state ?? 'no status'} ${tagStatus(t).revision ?? ''}`,
                )
                .join(', '),
            };
      },
      say,
      500,
    );
    const tags = await Promise.all(TAGS.map((t) => kube.get(TAG_API, 'IstioRevisionTag', t)));
    say(
      table(
        ['TAG', 'REVISION', 'STATE', 'WEBHOOK'],
        tags.map((t, i) => [
          TAGS[i] ?? '',
          tagStatus(t).revision ?? '-',
          tagStatus(t).state ?? '-',
          `istio-revision-tag-${TAGS[i]}`,
        ]),
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }

  const bookinfo = (rel: string) => parseYamlStream(readFileSync(join(c.bookinfoRoot, rel), 'utf8'), rel);

  // 1. The old revision and its gateway.
  await steps.run(
    `IstioOperator ${OLD.revision} (Istio ${OLD.version}) and the ingress gateway on it`,
    'operator',
    async () => {
      await ensureNamespace(kube, c.iopNs, {}, say);
      const t0 = Date.now();
      await kube.apply(revisionIop(OLD, c.iopNs));
      await waitHealthy(OLD.revision);
      const tRev = (Date.now() - t0) / 1000;
      await kube.apply(gatewayIop(OLD, c.iopNs));
      await waitHealthy(GATEWAY_IOP);
      const gw = await deployment('istio-ingressgateway');
      const caAddr = gatewayCaAddr(gw);
      if (!caAddr?.includes(`istiod-${OLD.revision}.`))
        throw new Error(`the ingress gateway's CA_ADDR is ${caAddr ?? 'unset'}, not istiod-${OLD.revision}`);
      say(`  istiod-${OLD.revision} and istio-ingressgateway (CA_ADDR ${caAddr}) running`);
      return noted(undefined, `${OLD.revision} HEALTHY in ${tRev.toFixed(1)}s, gateway on ${OLD.revision}`);
    },
  );

  // 2. Tags.
  await steps.run(
    `revision tags ${TAGS.join(' and ')} -> ${OLD.revision}`,
    'operator (revision tags)',
    async () => {
      await applyTags(OLD);
    },
  );

  // 3. Namespaces served by the tags.
  await steps.run(
    `namespaces ${c.prodNs} (istio.io/rev=prod) and ${c.defaultNs} (istio-injection=enabled)`,
    'webhook',
    async () => {
      await ensureNamespace(kube, c.prodNs, { 'istio.io/rev': 'prod' }, say);
      await ensureNamespace(kube, c.defaultNs, { 'istio-injection': 'enabled' }, say);
      await waitUntil(
        'webhook /readyz',
        60_000,
        async () => {
          c.alive();
          return (await c.webhookReady()) ? { done: undefined } : { progress: 'not ready' };
        },
        say,
      );
      await dryRunInjects(c.prodNs, OLD);
      await dryRunInjects(c.defaultNs, OLD);
    },
  );

  // 4. Workloads.
  const podCount = await steps.run(
    `Bookinfo in ${c.prodNs}, Bookinfo's details in ${c.defaultNs}, injected by ${OLD.revision}`,
    'deploy (demo)',
    async () => {
      for (const o of bookinfo('platform/kube/bookinfo.yaml')) await kube.apply(o, c.prodNs);
      for (const o of bookinfo('platform/kube/bookinfo-details.yaml')) await kube.apply(o, c.defaultNs);
      const ignored = await ignoreUnservedValidation(kube);
      if (ignored.length)
        say(
          `  no istiod runs on kwok nodes: failurePolicy Ignore (as istiod sets until it serves) on ${ignored.join(', ')}`,
        );
      for (const rel of ['networking/bookinfo-gateway.yaml', 'networking/destination-rule-all.yaml']) {
        for (const o of bookinfo(rel)) {
          await kube.apply(o, c.prodNs);
          say(`  applied ${nameOf(o)}`);
        }
      }
      for (const ns of [c.prodNs, c.defaultNs]) await waitAvailable(ns);
      const pods = await waitUntil<Obj[]>(
        `every pod on ${OLD.version}`,
        60_000,
        async () => {
          const all = await appPods();
          const off = podsNotOn(all, OLD);
          return off.length === 0 ? { done: all } : { progress: off.join(', ') };
        },
        say,
      );
      say(podSidecarTable(pods));
      return noted(pods.length, sidecarVersions(pods));
    },
  );

  // 5. The new revision beside it.
  const istiodNew = await steps.run(
    `IstioOperator ${NEW.revision} (Istio ${NEW.version}) beside ${OLD.revision}, both HEALTHY`,
    'operator',
    async () => {
      const t0 = Date.now();
      await kube.apply(revisionIop(NEW, c.iopNs, ROLLOUT));
      await waitHealthy(NEW.revision);
      const tRev = (Date.now() - t0) / 1000;
      if (iopStatus(await iop(OLD.revision)).status !== 'HEALTHY')
        throw new Error(`${OLD.revision} is no longer HEALTHY: ${iopProgress(await iop(OLD.revision))}`);
      for (const r of [OLD, NEW]) {
        if (!(await deployment(`istiod-${r.revision}`)))
          throw new Error(`Deployment istiod-${r.revision} is missing`);
        if (!(await kube.get('v1', 'ConfigMap', `istio-sidecar-injector-${r.revision}`, c.iopNs)))
          throw new Error(`ConfigMap istio-sidecar-injector-${r.revision} is missing`);
        if (!(await kube.get(MWC_API, 'MutatingWebhookConfiguration', injectorWebhookName(r, c.iopNs))))
          throw new Error(`MutatingWebhookConfiguration ${injectorWebhookName(r, c.iopNs)} is missing`);
      }
      const crd = await kube.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', DR_CRD);
      const crdVersion = crd?.metadata?.labels?.['operator.istio.io/version'];
      say(
        `  Istio CRDs (${DR_CRD}) at ${crdVersion ?? '?'}, owned by ${crd?.metadata?.labels?.['install.operator.istio.io/owning-resource'] ?? '?'}`,
      );
      if (crdVersion !== NEW.version)
        throw new Error(`the Istio CRDs are at ${crdVersion ?? '?'}, not ${NEW.version}`);
      // The tags still point at the old revision: new pods still get its sidecar.
      await dryRunInjects(c.prodNs, OLD);
      say(indent(renderStatusTable(await report())));
      const d = await deployment(`istiod-${NEW.revision}`);
      return noted(
        { uid: d?.metadata?.uid, generation: d?.metadata?.generation },
        `${NEW.revision} HEALTHY in ${tRev.toFixed(1)}s; CRDs at ${crdVersion}`,
      );
    },
  );

  // 6. Deleting the old revision is held while anything uses it.
  await steps.run(
    `delete IstioOperator ${OLD.revision}: held while anything uses it`,
    'operator (deletion hold)',
    async () => {
      await kube.delete(IOP_API, 'IstioOperator', OLD.revision, c.iopNs);
      const held = await waitUntil<string>(
        'DeletionHeld',
        60_000,
        async () => {
          c.alive();
          const live = await iop(OLD.revision);
          if (!live)
            throw new StepError(
              'delete 1-30',
              'operator (deletion hold)',
              `${OLD.revision} was deleted while in use`,
            );
          const m = deletionHeld(live);
          return m ? { done: m } : { progress: 'not held yet' };
        },
        say,
        500,
      );
      say(`  ${OLD.revision}: ${held}`);
      if (!(await deployment(`istiod-${OLD.revision}`)))
        throw new Error(`istiod-${OLD.revision} was removed while held`);
      return noted(undefined, `held: ${holdReasons(held)}`);
    },
  );

  // 7. Move the tags.
  const moved = await steps.run(
    `move tags ${TAGS.join(' and ')} to ${NEW.revision}`,
    'operator (revision tags)',
    async () => {
      const before = await kube.get(MWC_API, 'MutatingWebhookConfiguration', 'istio-revision-tag-prod');
      const t = Date.now();
      await applyTags(NEW);
      const after = await kube.get(MWC_API, 'MutatingWebhookConfiguration', 'istio-revision-tag-prod');
      if (after?.metadata?.uid !== before?.metadata?.uid)
        throw new Error('the prod tag webhook was replaced (new uid) instead of updated in place');
      say('  istio-revision-tag-prod updated in place (same uid)');
      await dryRunInjects(c.prodNs, NEW);
      await dryRunInjects(c.defaultNs, NEW);
      say(`  ${OLD.revision}: ${deletionHeld(await iop(OLD.revision)) ?? 'no longer held'}`);
      return t;
    },
  );

  // 8. Census and batched rollout.
  await steps.run(
    `census and batched rollout on ${NEW.revision} (batch size ${ROLLOUT.batchSize}, ${ROLLOUT.pauseSeconds}s pause)`,
    'operator (sidecar rollout)',
    async () => {
      let lastLine = '';
      let lastPods = '';
      let censusShown = false;
      await waitUntil(
        `${NEW.revision} rollout Complete`,
        c.timeoutMs,
        async () => {
          c.alive();
          const r = await row(NEW.revision);
          if (!r) throw new Error(`IstioOperator ${NEW.revision} is gone`);
          const line = revisionLine(r);
          if (line !== lastLine) say(`  ${elapsed(moved)} ${line}`);
          lastLine = line;
          if (!censusShown && (r.outdated ?? 0) > 0) {
            censusShown = true;
            say(`  census (meshwright status):\n${indent(renderStatusTable(await report()), 4)}`);
          }
          const pods = sidecarVersions(await appPods());
          if (pods !== lastPods) say(`  ${elapsed(moved)} ${pods}`);
          lastPods = pods;
          if (r.status === 'ACTION_REQUIRED')
            throw new StepError(
              'rollout',
              'operator (sidecar rollout)',
              `${NEW.revision} is ACTION_REQUIRED: ${r.message ?? ''}`,
            );
          // Done when the rollout says so; the pods themselves are checked below. The census count is
          // reported, not waited for: it is the operator's estimate, the pods' images and annotations are the truth.
          return r.rollout?.phase === 'Complete' ? { done: r } : { progress: line };
        },
        () => undefined,
        500,
      );
      const pods = await waitUntil<Obj[]>(
        `every pod on ${NEW.version}`,
        c.timeoutMs,
        async () => {
          const all = await appPods();
          const off = podsNotOn(all, NEW);
          return off.length === 0 && all.filter((p) => !p.metadata?.deletionTimestamp).length >= podCount
            ? { done: all.filter((p) => !p.metadata?.deletionTimestamp) }
            : { progress: off.join(', ') || 'waiting for replacement pods' };
        },
        say,
        500,
      );
      const took = (Date.now() - moved) / 1000;
      say(podSidecarTable(pods));
      const r = await row(NEW.revision);
      const census = censusRemark(r);
      if (census) say(`  WARNING: ${census}`);
      return noted(
        undefined,
        `${r?.rollout?.restarted ?? '?'} workloads restarted in ${r?.rollout?.batch ?? '?'} batches; tag move -> last pod on ${NEW.version}: ${took.toFixed(1)}s` +
          (census ? `; ${census}` : ''),
      );
    },
  );

  // 9. The gateway moves in place.
  await steps.run(`move the ingress gateway to ${NEW.revision} in place`, 'operator (gateways)', async () => {
    let lowest = Number.MAX_SAFE_INTEGER;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const d = await deployment('istio-ingressgateway').catch(() => undefined);
        lowest = Math.min(lowest, availableOf(d));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      await kube.apply(gatewayIop(NEW, c.iopNs));
      await waitUntil(
        `istio-ingressgateway on ${NEW.revision}`,
        c.timeoutMs,
        async () => {
          c.alive();
          const d = await deployment('istio-ingressgateway');
          const st = (d?.status ?? {}) as {
            replicas?: number;
            updatedReplicas?: number;
            availableReplicas?: number;
          };
          const s = iopStatus(await iop(GATEWAY_IOP)).status;
          const ca = gatewayCaAddr(d) ?? '';
          const image = firstImage(d);
          const done =
            s === 'HEALTHY' &&
            ca.includes(`istiod-${NEW.revision}.`) &&
            image.endsWith(`:${NEW.version}`) &&
            st.replicas === st.updatedReplicas &&
            st.replicas === st.availableReplicas;
          return done
            ? { done: undefined }
            : {
                progress: `${s ?? 'no status'}, image ${image}, ${st.availableReplicas ?? 0}/${st.replicas ?? 0} available, ${st.updatedReplicas ?? 0} updated`,
              };
        },
        say,
        500,
      );
    } finally {
      watching = false;
      await watcher;
    }
    if (lowest < 1) throw new Error('the ingress gateway had no available replica during the move');
    const d = await deployment('istio-ingressgateway');
    say(
      `  istio-ingressgateway: ${firstImage(d)}, CA_ADDR ${gatewayCaAddr(d) ?? '?'}; never fewer than ${lowest} available`,
    );
    return noted(undefined, `gateway on ${NEW.version}, never below ${lowest} available replica(s)`);
  });

  // 10. The old revision goes, the new one stays.
  await steps.run(
    `IstioOperator ${OLD.revision} removed once unused; ${NEW.revision} untouched`,
    'operator (deletion)',
    async () => {
      let last = '';
      await waitUntil(
        `IstioOperator ${OLD.revision} gone`,
        c.timeoutMs,
        async () => {
          c.alive();
          const live = await iop(OLD.revision);
          if (!live) return { done: undefined };
          const m = deletionHeld(live) ?? 'uninstalling';
          if (m !== last) say(`  ${OLD.revision}: ${m}`);
          last = m;
          return { progress: m };
        },
        () => undefined,
        1000,
      );
      const gone = [
        (await deployment(`istiod-${OLD.revision}`)) && `Deployment istiod-${OLD.revision}`,
        (await kube.get('v1', 'ConfigMap', `istio-sidecar-injector-${OLD.revision}`, c.iopNs)) &&
          `ConfigMap istio-sidecar-injector-${OLD.revision}`,
        (await kube.get(MWC_API, 'MutatingWebhookConfiguration', injectorWebhookName(OLD, c.iopNs))) &&
          `MutatingWebhookConfiguration ${injectorWebhookName(OLD, c.iopNs)}`,
      ].filter(Boolean);
      if (gone.length) throw new Error(`left behind by ${OLD.revision}: ${gone.join(', ')}`);
      const d = await deployment(`istiod-${NEW.revision}`);
      if (d?.metadata?.uid !== istiodNew.uid || d?.metadata?.generation !== istiodNew.generation)
        throw new Error(
          `istiod-${NEW.revision} was replaced or changed (generation ${istiodNew.generation} -> ${d?.metadata?.generation})`,
        );
      const kept = [
        [MWC_API, 'MutatingWebhookConfiguration', injectorWebhookName(NEW, c.iopNs)],
        ...TAGS.map((t) => [MWC_API, 'MutatingWebhookConfiguration', `istio-revision-tag-${t}`]),
        ['v1', 'ConfigMap', `istio-sidecar-injector-${NEW.revision}`, c.iopNs],
        ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', DR_CRD],
      ] as const;
      for (const [api, kind, name, ns] of kept)
        if (!(await kube.get(api, kind, name, ns)))
          throw new Error(`${kind} ${name}, which ${NEW.revision} uses, is gone`);
      if (iopStatus(await iop(NEW.revision)).status !== 'HEALTHY')
        throw new Error(`${NEW.revision} is not HEALTHY`);
      await dryRunInjects(c.prodNs, NEW);
      say(
        `  gone: istiod-${OLD.revision}, its injector ConfigMap and webhook; istiod-${NEW.revision} unchanged (generation ${d?.metadata?.generation}), its webhooks and the tags' kept`,
      );
    },
  );

  // 11. Where it ended.
  await steps.run('summary', 'deploy (demo)', async () => {
    say(indent(renderStatusTable(await report())));
    const pods = (await appPods()).filter((p) => !p.metadata?.deletionTimestamp);
    say(podSidecarTable(pods));
    const off = podsNotOn(pods, NEW);
    if (off.length) throw new Error(`pods not on ${NEW.version}: ${off.join(', ')}`);
    const notInjected = pods.filter((p) => !podContainers(p).injected).map((p) => p.metadata?.name);
    if (notInjected.length) throw new Error(`pods without a sidecar: ${notInjected.join(', ')}`);
    return noted(undefined, `${sidecarVersions(pods)}; 1 revision left (${NEW.revision})`);
  });

  async function waitAvailable(ns: string): Promise<void> {
    await waitUntil(
      `Deployments in ${ns}`,
      180_000,
      async () => {
        c.alive();
        const deps = await kube.list('apps/v1', 'Deployment', ns);
        const waiting = deps.filter((d) => {
          const st = (d.status ?? {}) as { availableReplicas?: number; replicas?: number };
          return !st.replicas || (st.availableReplicas ?? 0) < st.replicas;
        });
        return deps.length > 0 && waiting.length === 0
          ? { done: undefined }
          : { progress: `${deps.length - waiting.length}/${deps.length} available` };
      },
      say,
    );
  }
}

/** The revision's injection MWC as istiod's chart names it (the namespace appended outside istio-system). */
function injectorWebhookName(r: Release, ns: string): string {
  return `istio-sidecar-injector-${r.revision}${ns === 'istio-system' ? '' : `-${ns}`}`;
}

/**
 * What the census still counts once every pod runs the new revision's sidecar (undefined when nothing): shown,
 * not failed on, because the pods were checked directly.
 */
function censusRemark(r: RevisionRow | undefined): string | undefined {
  if (!r?.outdated) return undefined;
  return (
    `the census still counts ${r.outdated} outdated sidecar(s) (${r.outdatedWorkloads.join(', ')}) although every ` +
    `pod runs ${NEW.version} injected by ${NEW.revision}`
  );
}

function gatewayCaAddr(d: Obj | undefined): string | undefined {
  const spec = (
    d?.spec as { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } }
  )?.template?.spec;
  return spec?.containers?.[0]?.env?.find((e) => e.name === 'CA_ADDR')?.value;
}

function firstImage(d: Obj | undefined): string {
  const spec = (d?.spec as { template?: { spec?: { containers?: { image?: string }[] } } })?.template?.spec;
  return spec?.containers?.[0]?.image ?? '';
}

function availableOf(d: Obj | undefined): number {
  return ((d?.status ?? {}) as { availableReplicas?: number }).availableReplicas ?? 0;
}

const indent = (text: string, n = 2) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => (l ? `${' '.repeat(n)}${l}` : l))
    .join('\n');

const elapsed = (since: number) => `+${((Date.now() - since) / 1000).toFixed(1).padStart(5)}s`;

/** "revision tag(s) prod, default point at it; ..." -> the reasons only, for the summary line. */
function holdReasons(message: string): string {
  const reasons = message.replace(/^deletion held: revision \S+ is still in use: /, '');
  return reasons.length > 110 ? `${reasons.slice(0, 107)}...` : reasons;
}

function podSidecarTable(pods: readonly Obj[]): string {
  return indent(
    table(
      ['POD', 'NAMESPACE', 'SIDECAR', 'INJECTED BY'],
      [...pods]
        .sort((a, b) => nameOf(a).localeCompare(nameOf(b)))
        .map((p) => {
          const s = podSidecar(p);
          return [
            p.metadata?.name ?? '?',
            p.metadata?.namespace ?? '',
            s.version ? `proxyv2:${s.version}` : 'none',
            s.revision ?? '-',
          ];
        }),
    ),
  );
}

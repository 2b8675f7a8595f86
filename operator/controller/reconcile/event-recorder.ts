// Kubernetes Events (core/v1) about an IstioOperator. Recording never fails a reconcile: an event
// that cannot be written is logged and dropped.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../lib/log';
import { apiMessage } from '../kube/api-errors';
import type { Clock } from '../clock';
import type { KubeClient } from '../kube/kube-client';
import type { EventSpec } from '../status/status-events';

export const EVENT_SOURCE = 'meshwright-operator';

export interface EventRecorder {
  record(about: KubernetesObject, event: EventSpec): Promise<void>;
}

export class KubeEventRecorder implements EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly instance: string,
  ) {}

  async record(about: KubernetesObject, event: EventSpec): Promise<void> {
    const now = new Date(this.clock.now()).toISOString();
    const meta = about.metadata ?? {};
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${meta.name ?? 'istiooperator'}.`, namespace: meta.namespace ?? 'default' },
      involvedObject: {
        apiVersion: about.apiVersion,
        kind: about.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
      type: event.type,
      reason: event.reason,
      // The apiserver caps messages at 1 KiB.
      message: event.message.length > 1024 ? `${event.message.slice(0, 1021)}...` : event.message,
      source: { component: EVENT_SOURCE },
      reportingComponent: EVENT_SOURCE,
      reportingInstance: this.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.client.create(body as KubernetesObject);
    } catch (err) {
      this.log.warn('could not record event', { reason: event.reason, error: apiMessage(err) });
    }
  }
}

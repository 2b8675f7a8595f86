// Keeps one informer running, for both binaries: client-node's (webhook) or lib/kube/informer.ts's
// ListWatch (operator). Either stops for good on a list or watch error, so it is restarted here under the one restart policy (exponential backoff, reset by a
// list that stays up for the backoff's maximum), until stopped or until the AbortSignal given to start() fires.
import type { Informer, KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import { errorMessage } from '../errors';
import type { Logger } from '../log';

export interface RestartPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** 1 s, doubling to 30 s: quick after a blip, gentle on an apiserver that is down. */
export const INFORMER_RESTART: RestartPolicy = { initialMs: 1_000, maxMs: 30_000 };

export interface RestartingInformerOptions {
  /** How a list or watch error is described in the log (the operator prefers the apiserver's Status message). */
  describeError?: (err: unknown) => string;
  policy?: RestartPolicy;
}

/** What the restart policy needs of an informer: both client-node's and the lean ListWatch fit. */
export interface RestartableInformer {
  on(event: 'error', handler: (err: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One informer, restarted after errors; `waitForSync()` resolves after its first successful list. */
export class RestartingInformer<
  T extends KubernetesObject,
  I extends RestartableInformer = Informer<T> & ObjectCache<T>,
> {
  synced = false;
  private errors = 0;
  private backoffMs: number;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  /** When the informer last listed successfully (ms since the epoch), 0 before. */
  private upSince = 0;
  private readonly syncWaiters: (() => void)[] = [];
  private readonly policy: RestartPolicy;
  private readonly describe: (err: unknown) => string;

  constructor(
    readonly name: string,
    readonly informer: I,
    private readonly log: Logger,
    opts: RestartingInformerOptions = {},
  ) {
    this.policy = opts.policy ?? INFORMER_RESTART;
    this.describe = opts.describeError ?? errorMessage;
    this.backoffMs = this.policy.initialMs;
    informer.on('error', (err: unknown) => {
      this.errors++;
      if (this.stopped) return;
      // Only an informer that stayed up a while earns a quick restart: one whose list works but whose
      // watch fails at once (a kind not served, a proxy refusing streams) must back off, not retry each second.
      if (this.upSince > 0 && Date.now() - this.upSince >= this.policy.maxMs)
        this.backoffMs = this.policy.initialMs;
      this.upSince = 0;
      this.log.warn('watch failed, restarting', {
        watch: name,
        error: this.describe(err),
        retryMs: this.backoffMs,
      });
      this.timer = setTimeout(() => void this.attempt(), this.backoffMs);
      this.timer.unref();
      this.backoffMs = Math.min(this.backoffMs * 2, this.policy.maxMs);
    });
  }

  /** Starts the informer; aborting `signal` stops it as stop() does. */
  start(signal?: AbortSignal): void {
    if (signal?.aborted) {
      void this.stop();
      return;
    }
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    void this.attempt();
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.informer.stop();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const before = this.errors;
    try {
      await this.informer.start();
    } catch (err) {
      // start() reports through the error callback; a throw here is unexpected but must not leak.
      this.log.warn('watch start threw', { watch: this.name, error: this.describe(err) });
      return;
    }
    if (this.errors !== before || this.stopped) return;
    this.upSince = Date.now();
    if (!this.synced) {
      this.synced = true;
      this.log.info('watch synced', { watch: this.name });
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }
}

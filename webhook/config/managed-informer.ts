// Keeps one client-node informer running: its ListWatch stops for good on a list or watch error, so
// it is restarted here with exponential backoff, and `synced` reports the first successful list.
import type { Informer, KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log';
import { errorMessage } from '../../lib/errors';

const INITIAL_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

/** One informer, restarted after errors; `waitForSync()` resolves after its first successful list. */
export class ManagedInformer<T extends KubernetesObject> {
  synced = false;
  private errors = 0;
  private backoffMs = INITIAL_BACKOFF_MS;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly informer: Informer<T> & ObjectCache<T>,
    private readonly log: Logger,
  ) {
    informer.on('error', (err: unknown) => {
      this.errors++;
      if (this.stopped) return;
      this.log.warn('informer failed, restarting', { informer: name, error: errorMessage(err), retryMs: this.backoffMs });
      this.timer = setTimeout(() => void this.attempt(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    });
  }

  start(): void {
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
      this.log.warn('informer start threw', { informer: this.name, error: errorMessage(err) });
      return;
    }
    if (this.errors !== before || this.stopped) return;
    this.backoffMs = INITIAL_BACKOFF_MS;
    if (!this.synced) {
      this.synced = true;
      this.log.info('informer synced', { informer: this.name });
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }
}

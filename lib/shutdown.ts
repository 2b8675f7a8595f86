// Graceful shutdown: the first SIGTERM/SIGINT runs the registered hooks in reverse order of
// registration (last started, first stopped); a second signal or the deadline forces exit.
import type { Logger } from './log';
import { errorMessage } from './errors';

type Hook = () => Promise<void> | void;

export class Shutdown {
  private readonly hooks: { name: string; fn: Hook }[] = [];
  private running?: Promise<void>;

  constructor(
    private readonly log: Logger,
    private readonly deadlineMs = 30_000,
  ) {}

  register(name: string, fn: Hook): void {
    this.hooks.push({ name, fn });
  }

  /** Installs signal handlers; resolves the returned promise once every hook ran. */
  installSignalHandlers(exit: (code: number) => void = (c) => process.exit(c)): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.running) {
        this.log.warn('second signal, exiting now', { signal });
        exit(1);
        return;
      }
      this.log.info('shutting down', { signal });
      const timer = setTimeout(() => {
        this.log.error('shutdown deadline exceeded, exiting', { deadlineMs: this.deadlineMs });
        exit(1);
      }, this.deadlineMs);
      timer.unref();
      void this.run().then(() => exit(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const hook of [...this.hooks].reverse()) {
        try {
          await hook.fn();
        } catch (err) {
          this.log.error('shutdown hook failed', { hook: hook.name, error: errorMessage(err) });
        }
      }
    })();
    return this.running;
  }
}

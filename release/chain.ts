// Tries release sources in order and returns the first that has the version. When all fail, one
// ReleaseError lists every source tried and why, so a status condition tells the whole story.
// Concurrent resolves of one version share one attempt (one download), each caller keeping its own
// AbortSignal; the shared attempt is cancelled only when every caller has given up.
import { ReleaseError, type Release, type ReleaseProvider, type ResolveOptions } from './types';
import { formatIstioVersion, parseIstioVersion } from './version';
import { errorMessage, toError } from '../lib/errors';

export interface NamedProvider {
  /** For the aggregated error when the provider fails without a ReleaseError. */
  readonly name: string;
  readonly provider: ReleaseProvider;
}

interface Shared {
  readonly promise: Promise<Release>;
  readonly controller: AbortController;
  waiters: number;
}

export class ChainProvider implements ReleaseProvider {
  private readonly inflight = new Map<string, Shared>();

  constructor(private readonly sources: readonly NamedProvider[]) {}

  resolve(version: string, options: ResolveOptions = {}): Promise<Release> {
    // The version becomes part of paths and URLs: only a well-formed version gets that far.
    const parsed = parseIstioVersion(version);
    if (!parsed || formatIstioVersion(parsed) !== version.replace(/^v/, ''))
      return Promise.reject(
        new ReleaseError(version, 'version', 'not an Istio version (expected MAJOR.MINOR.PATCH[-rc.N])'),
      );
    const v = formatIstioVersion(parsed);
    let shared = this.inflight.get(v);
    if (!shared) {
      const controller = new AbortController();
      const promise: Promise<Release> = this.attempt(v, controller.signal).finally(() => {
        if (this.inflight.get(v) === shared) this.inflight.delete(v);
      });
      shared = { promise, controller, waiters: 0 };
      this.inflight.set(v, shared);
    }
    return this.wait(v, shared, options.signal);
  }

  private wait(version: string, shared: Shared, signal: AbortSignal | undefined): Promise<Release> {
    shared.waiters++;
    if (!signal) return shared.promise;
    return new Promise<Release>((resolve, reject) => {
      const leave = (): void => {
        if (--shared.waiters === 0) {
          // A caller arriving after this starts afresh instead of joining a cancelled attempt.
          if (this.inflight.get(version) === shared) this.inflight.delete(version);
          shared.controller.abort();
        }
        reject(new ReleaseError(version, 'resolve', 'aborted'));
      };
      if (signal.aborted) return leave();
      signal.addEventListener('abort', leave, { once: true });
      shared.promise.then(
        (r) => {
          signal.removeEventListener('abort', leave);
          resolve(r);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', leave);
          reject(toError(err));
        },
      );
    });
  }

  private async attempt(version: string, signal: AbortSignal): Promise<Release> {
    const failures: { source: string; reason: string }[] = [];
    for (const { name, provider } of this.sources) {
      if (signal.aborted) throw new ReleaseError(version, 'resolve', 'aborted');
      try {
        return await provider.resolve(version, { signal });
      } catch (err) {
        if (err instanceof ReleaseError) failures.push({ source: err.source, reason: err.reason });
        else failures.push({ source: name, reason: errorMessage(err) });
      }
    }
    const only = failures.length === 1 ? failures[0] : undefined;
    if (only) throw new ReleaseError(version, only.source, only.reason);
    throw new ReleaseError(
      version,
      `${failures.length} sources`,
      failures.length === 0
        ? 'no release source is configured'
        : failures.map((f, i) => `(${i + 1}) ${f.source}: ${f.reason}`).join('; '),
    );
  }
}

// A list+watch informer on the lean client: list (through the caller's lister, so lists stay paged),
// then watch from the list's resourceVersion with bookmarks, keeping a cache and calling add/update/
// delete handlers. A 410 Gone (the resourceVersion was compacted away) relists and diffs against the
// cache, without an error. Any other failure calls the error handlers and stops: the restart policy
// lives in restarting-informer.ts, one for both binaries.
import { KubeApiError } from './api-error';
import type { KubeHttp, Query } from './http';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export type InformerEvent = 'add' | 'update' | 'delete';
type Handler<T> = (obj: T) => void;

export interface InformerOptions<T> {
  /** The collection's path (`/api/v1/pods`, `/apis/g/v/namespaces/ns/things`). */
  path: string;
  labelSelector?: string;
  list: () => Promise<ListResult<T>>;
  /** The server ends each watch after this long (randomised by the caller if wanted); we then re-watch. */
  watchTimeoutSeconds?: number;
  /** The watch's Accept header (PARTIAL_METADATA for metadata-only watches, with a list to match). */
  accept?: string;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

function keyOf(o: KubeObject): string {
  const m = o.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}

/** True for "your resourceVersion is too old": HTTP 410, or a watch ERROR event with code 410. */
export function isGone(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 410;
}

export class ListWatch<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: Record<InformerEvent, Handler<T>[]> = { add: [], update: [], delete: [] };
  private readonly errorHandlers: ((err: unknown) => void)[] = [];
  private abort?: AbortController;
  private resourceVersion = '';
  /** How many times a 410 made it relist (tests, logs). */
  relists = 0;

  constructor(
    private readonly http: KubeHttp,
    private readonly o: InformerOptions<T>,
  ) {}

  on(event: InformerEvent, handler: Handler<T>): void;
  on(event: 'error', handler: (err: unknown) => void): void;
  on(event: InformerEvent | 'error', handler: Handler<T> | ((err: unknown) => void)): void {
    if (event === 'error') this.errorHandlers.push(handler as (err: unknown) => void);
    else this.handlers[event].push(handler as Handler<T>);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Lists, then watches in the background; resolves after the list (errors go to the error handlers). */
  async start(): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    try {
      await this.relist();
    } catch (err) {
      this.fail(err, abort);
      return;
    }
    void this.watchLoop(abort);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    this.abort = undefined;
    return Promise.resolve();
  }

  private fail(err: unknown, abort: AbortController): void {
    if (abort.signal.aborted) return;
    abort.abort();
    for (const h of this.errorHandlers) h(err);
  }

  private emit(event: InformerEvent, obj: T): void {
    for (const h of this.handlers[event]) h(obj);
  }

  /** Replaces the cache with a fresh list, reporting what changed since the cache was filled. */
  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.o.list();
    const seen = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.emit('add', obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', obj);
    }
    for (const [key, obj] of this.cache) {
      if (seen.has(key)) continue;
      this.cache.delete(key);
      this.emit('delete', obj);
    }
    this.resourceVersion = resourceVersion;
  }

  private async watchLoop(abort: AbortController): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        const started = Date.now();
        const rv = this.resourceVersion;
        await this.watchOnce(abort.signal);
        // A watch the server (or a proxy) ends at once, with nothing new, is not re-opened in a hot loop.
        if (Date.now() - started < 1_000 && rv === this.resourceVersion) await pause(1_000, abort.signal);
      } catch (err) {
        if (abort.signal.aborted) return;
        if (!isGone(err)) return this.fail(err, abort);
        this.relists++;
        try {
          await this.relist();
        } catch (listErr) {
          return this.fail(listErr, abort);
        }
      }
    }
  }

  private watchOnce(signal: AbortSignal): Promise<void> {
    const query: Query = {
      watch: true,
      allowWatchBookmarks: true,
      resourceVersion: this.resourceVersion || undefined,
      labelSelector: this.o.labelSelector,
      timeoutSeconds: this.o.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
    };
    return this.http.stream(
      { path: this.o.path, query, signal, timeoutMs: 0x7fffffff, accept: this.o.accept },
      (line) => this.onEvent(line as { type?: string; object?: T }),
    );
  }

  private onEvent(ev: { type?: string; object?: T }): void {
    const obj = ev.object;
    if (!obj) return;
    if (ev.type === 'ERROR') {
      const status = obj as { code?: number; message?: string; reason?: string };
      throw new KubeApiError('WATCH', this.o.path, status.code ?? 500, status);
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (ev.type === 'BOOKMARK') return;
    const key = keyOf(obj);
    if (ev.type === 'DELETED') {
      this.cache.delete(key);
      this.emit('delete', obj);
    } else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
      const had = this.cache.has(key);
      this.cache.set(key, obj);
      this.emit(had ? 'update' : 'add', obj);
    }
  }
}

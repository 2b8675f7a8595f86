// apiVersion + kind -> plural and scope, from the apiserver's discovery documents (GET /api/v1,
// /apis/<group>/<version>). Each group-version is read once and cached; a kind missing from the cached
// document is re-read (at most once per `refreshMs`), because a CRD installed later adds kinds to it.
import { KubeApiError } from './api-error';

export interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

interface ApiResource {
  name?: string;
  kind?: string;
  namespaced?: boolean;
}

/** Reads one discovery document; undefined when the group-version is not served (404). */
export type FetchDiscovery = (path: string) => Promise<{ resources?: ApiResource[] } | undefined>;

export function discoveryPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

interface Entry {
  kinds: Map<string, ResourceInfo>;
  at: number;
}

export class Discovery {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();

  constructor(
    private readonly fetch: FetchDiscovery,
    private readonly now: () => number = Date.now,
    /** A miss re-reads a document no more often than this (a loop over an unserved kind stays cheap). */
    private readonly refreshMs = 1_000,
  ) {}

  /** The kind's resource, or undefined when the apiserver does not serve it. */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    let entry = this.cache.get(apiVersion);
    if (entry?.kinds.has(kind)) return entry.kinds.get(kind);
    if (!entry || this.now() - entry.at >= this.refreshMs) entry = await this.load(apiVersion);
    return entry.kinds.get(kind);
  }

  /** Forgets a group-version (its CRD was removed or changed). */
  invalidate(apiVersion: string): void {
    this.cache.delete(apiVersion);
  }

  private load(apiVersion: string): Promise<Entry> {
    const pending = this.inflight.get(apiVersion);
    if (pending) return pending;
    const p = this.fetch(discoveryPath(apiVersion))
      .then((doc) => {
        const kinds = new Map<string, ResourceInfo>();
        for (const r of doc?.resources ?? []) {
          // Subresources (pods/status) share the kind; only the resource itself names the path.
          if (!r.name || !r.kind || r.name.includes('/')) continue;
          kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced === true });
        }
        const entry = { kinds, at: this.now() };
        this.cache.set(apiVersion, entry);
        return entry;
      })
      .finally(() => this.inflight.delete(apiVersion));
    this.inflight.set(apiVersion, p);
    return p;
  }
}

/** FetchDiscovery over a request function: a 404 group-version is simply not served. */
export function discoveryFetcher(get: (path: string) => Promise<unknown>): FetchDiscovery {
  return async (path) => {
    try {
      return (await get(path)) as { resources?: ApiResource[] };
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    }
  };
}

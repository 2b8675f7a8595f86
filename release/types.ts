// What the operator and the CLI render from: one Istio release's `manifests/` tree (the directory that
// Istio's release archive ships and `istioctl install --manifests` takes: charts/, profiles/), found or
// fetched by a ReleaseProvider. Rendering never fetches; it takes a Release that is already on disk.

/** One Istio release whose manifests tree is on local disk, ready to render. */
export interface Release {
  /** The Istio version, without a leading `v` (`1.31.0`, `1.31.0-rc.0`). */
  readonly version: string;
  /** Absolute path of the release's `manifests/` directory (holds `charts/` and `profiles/`). */
  readonly manifestsDir: string;
  /**
   * What the content is pinned to, `sha256:<hex>`: the archive's digest for downloads, a digest of the
   * tree's files for local directories. Render caches key on it.
   */
  readonly digest: string;
  /** Where it came from, for status conditions and logs (`dir /srv/istio-1.31.0/manifests`, a URL). */
  readonly source: string;
}

export interface ResolveOptions {
  /** Cancels a download or a directory scan (a reconcile that lost its lease, a CLI interrupted). */
  readonly signal?: AbortSignal;
}

/** Finds (and where needed fetches, verifies and caches) the manifests of one Istio version. */
export interface ReleaseProvider {
  resolve(version: string, options?: ResolveOptions): Promise<Release>;
}

/** A release that cannot be had: names the version, the source tried and why, for a status condition. */
export class ReleaseError extends Error {
  constructor(
    readonly version: string,
    readonly source: string,
    readonly reason: string,
  ) {
    super(`Istio release ${version} from ${source}: ${reason}`);
    this.name = 'ReleaseError';
  }
}

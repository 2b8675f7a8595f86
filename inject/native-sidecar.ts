// Whether istio-proxy runs as a Kubernetes native sidecar (an init container with restartPolicy Always).
// `auto` turns it on only when every known node's kubelet is >= 1.33, where the feature is GA; a pod can
// still opt in or out with the sidecar.istio.io/nativeSidecar annotation (see context.ts).
import type { NativeSidecarMode } from './api';

export function nativeSidecarDefault(mode: NativeSidecarMode, kubeletVersions: readonly string[]): boolean {
  if (mode === 'enabled') return true;
  if (mode === 'disabled') return false;
  if (kubeletVersions.length === 0) return false;
  return kubeletVersions.every((v) => atLeast(v, 1, 33));
}

/** Parses 'v1.33.0', '1.34.1+k3s1', 'v1.33.0-eks-...' and compares major.minor. */
export function atLeast(version: string, major: number, minor: number): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > major || (maj === major && min >= minor);
}

// The Istio version an IstioOperator installs, for status.meshwright.version (and `kubectl get iop`):
// the release rule of release/version.ts (spec.tag, else values.global.tag, else the operator's default).
// Pure; never throws, since status must be writable for any spec.
import type { IstioOperator } from '../../api/types';
import { releaseVersionOf } from '../../../release/version';

export function installedIstioVersion(iop: object, defaultVersion: string): string | undefined {
  const raw = (iop as { spec?: unknown }).spec;
  const spec = typeof raw === 'object' && raw !== null ? raw : {};
  try {
    return releaseVersionOf({ spec } as IstioOperator, defaultVersion).version;
  } catch {
    // Only a malformed default can throw; the flag parser rejects those, so show nothing rather than fail.
    return undefined;
  }
}

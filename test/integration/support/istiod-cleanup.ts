// What a test istiod leaves outside its own namespace: its namespace controller writes its root certificate
// (`istio-ca-root-cert`) and CRL (`istio-ca-crl`) ConfigMaps into every namespace, the cluster's own included.
// A later suite's istiod, with another CA, then updates them and may log an update Conflict at error level;
// removing ours after a suite lets it create them afresh.
import { coreApi } from './cluster';

const ROOT_CERT = 'istio-ca-root-cert';
const CRL = 'istio-ca-crl';

/**
 * Deletes the root-certificate ConfigMaps holding `rootPem` (the istiod's CA, its `--caCertFile`) and the CRL
 * ConfigMaps beside them; returns the namespaces cleaned. A ConfigMap of another istiod is left alone.
 */
export async function removeIstiodRootCerts(rootPem: string): Promise<string[]> {
  const core = coreApi();
  const { items } = await core.listConfigMapForAllNamespaces({ fieldSelector: `metadata.name=${ROOT_CERT}` });
  const mine = items.filter((cm) => cm.data?.['root-cert.pem']?.trim() === rootPem.trim());
  const gone = (err: unknown) => {
    if ((err as { code?: number }).code !== 404) throw err;
  };
  for (const cm of mine) {
    const namespace = cm.metadata!.namespace!;
    await core.deleteNamespacedConfigMap({ name: ROOT_CERT, namespace }).catch(gone);
    await core.deleteNamespacedConfigMap({ name: CRL, namespace }).catch(gone);
  }
  return mine.map((cm) => cm.metadata!.namespace!);
}

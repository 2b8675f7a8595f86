// Versions this build targets. ISTIO_VERSION is the default image tag of istiod, proxyv2 and install-cni.
export const MESHWRIGHT_VERSION = '0.1.0';
export const ISTIO_VERSION = '1.30.3';
export const ISTIO_HUB = 'docker.io/istio';

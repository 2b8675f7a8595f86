// Typed MeshConfig (the `mesh` key of the `istio` ConfigMap), camelCase as in that ConfigMap.
// Owned by the injection engine work; extend as fields are supported.
export interface MeshConfig {
  trustDomain?: string;
  defaultConfig?: Record<string, unknown>;
  [key: string]: unknown;
}

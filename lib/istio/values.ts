// Typed Helm-style values of the istio-discovery chart as the injector and the operator read them.
// Owned by the injection engine work; extend the interfaces as fields are supported.
export interface ProxyValues {
  image?: string;
  statusPort?: number;
  [key: string]: unknown;
}

export interface GlobalValues {
  hub?: string;
  tag?: string;
  proxy?: ProxyValues;
  [key: string]: unknown;
}

export interface Values {
  global?: GlobalValues;
  [key: string]: unknown;
}

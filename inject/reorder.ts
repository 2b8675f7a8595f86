// Final container order. istio-proxy goes last among containers (kubectl exec/logs default to the app),
// or first when the app must wait for it. With native sidecars the init order is
// istio-init/istio-validation, istio-proxy, then the app's init containers (which then run in the mesh);
// otherwise istio-validation first and istio-init last, so iptables never blackholes app init containers.
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { PROXY_CONTAINER } from './context';
import { INIT_CONTAINER, VALIDATION_CONTAINER } from './init-container';

export const ENABLE_CORE_DUMP = 'enable-core-dump';

function moveFirst(xs: V1Container[], name: string): V1Container[] {
  const i = xs.findIndex((c) => c.name === name);
  if (i <= 0) return xs;
  const c = xs[i];
  return [c, ...xs.slice(0, i), ...xs.slice(i + 1)];
}

function moveLast(xs: V1Container[], name: string): V1Container[] {
  const i = xs.findIndex((c) => c.name === name);
  if (i < 0 || i === xs.length - 1) return xs;
  const c = xs[i];
  return [...xs.slice(0, i), ...xs.slice(i + 1), c];
}

export function reorderContainers(spec: V1PodSpec, holdApplication: boolean): void {
  spec.containers = (holdApplication ? moveFirst : moveLast)(spec.containers, PROXY_CONTAINER);
  let init = spec.initContainers;
  if (!init) return;
  if (init.some((c) => c.name === PROXY_CONTAINER)) {
    for (const name of [ENABLE_CORE_DUMP, PROXY_CONTAINER, VALIDATION_CONTAINER, INIT_CONTAINER]) {
      init = moveFirst(init, name);
    }
  } else {
    init = moveLast(moveFirst(init, VALIDATION_CONTAINER), INIT_CONTAINER);
  }
  spec.initContainers = init;
}

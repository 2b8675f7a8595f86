// The IstioOperator input flags istioctl's `install` and `manifest generate` share (-f, --set, -r), so the
// two commands read the same inputs the same way.
import type { FlagSpec } from '../lib/flags';

export const IOP_INPUT_FLAGS: Record<'filename' | 'set' | 'revision', FlagSpec> = {
  filename: {
    kind: 'array',
    alias: 'f',
    help: 'IstioOperator YAML file; repeat to merge several, later wins',
  },
  set: {
    kind: 'array',
    alias: 's',
    help: 'Override a spec field, e.g. profile=demo or values.global.logging.level=debug (repeatable)',
  },
  revision: { kind: 'string', alias: 'r', help: 'Control-plane revision (same as --set revision=REV)' },
};

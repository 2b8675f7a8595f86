// The subcommand table. Each part of the system owns its command module; this file only lists them.
import { install } from './install';
import { kubeInjectCommand } from './kube-inject';
import { manifestGenerate } from './manifest';
import { operator } from './operator';
import { releasePull } from './release';
import { uninstall } from './uninstall';
import { version } from './version';
import { webhook } from './webhook';
import { status } from './status';

export interface Command {
  name: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

export const commands: Command[] = [
  operator,
  webhook,
  kubeInjectCommand,
  manifestGenerate,
  install,
  uninstall,
  releasePull,
  version,
  status,
];

// The y/N question istioctl asks before changing a cluster. The answer is read from stdin (a terminal or a
// pipe such as `echo y |`); a closed or empty stdin is a refusal with the reason, never a hang.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export type Answer = 'yes' | 'no' | 'no-input';

/** Reads one line from `input`: y/yes (any case) is yes, EOF before any line is no-input, anything else no. */
export function readAnswer(input: Readable): Promise<Answer> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, terminal: false });
    let done = false;
    const finish = (a: Answer): void => {
      if (done) return;
      done = true;
      rl.close();
      resolve(a);
    };
    rl.once('line', (line) => finish(/^\s*y(es)?\s*$/i.test(line) ? 'yes' : 'no'));
    rl.once('close', () => finish('no-input'));
  });
}

/** The message for a run that was not confirmed; undefined when it was. */
export function refusal(answer: Answer, action: string): string | undefined {
  if (answer === 'yes') return undefined;
  if (answer === 'no-input')
    return `${action} needs confirmation, but stdin gave no answer (not a terminal or closed): pass -y to proceed without asking`;
  return `${action} cancelled`;
}

// The result of one case in one mode.
export interface ModeResult {
  ok: boolean;
  /** Why it failed: differing paths or the error, most telling first. */
  problems: string[];
  /** kube-inject only: the output text equals the expected file byte for byte (informational). */
  textIdentical?: boolean;
}

export const pass = (): ModeResult => ({ ok: true, problems: [] });
export const fail = (...problems: string[]): ModeResult => ({ ok: false, problems });

/** An expectedError case: the failure text must contain the expected word (case-insensitively). */
export function checkExpectedError(expected: string, message: string | undefined): ModeResult {
  if (message === undefined)
    return fail(`expected an error containing ${JSON.stringify(expected)}, but injection succeeded`);
  if (message.toLowerCase().includes(expected.toLowerCase())) return pass();
  return fail(`expected an error containing ${JSON.stringify(expected)}, got: ${message}`);
}

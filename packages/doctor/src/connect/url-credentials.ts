import { DoctorError } from './doctor-error.js';

/** An http(s) URL with its user and password taken out: what may be shown, and the header that carries them. */
export interface SplitUrl {
  /** The URL without credentials: safe to log, and what fetch accepts. */
  bare: string;
  /** `Basic …` when the URL carried a user or a password. */
  authorization?: string;
  /** The password, so error text that might echo it can be scrubbed. */
  secret?: string;
}

/**
 * fetch refuses URLs with credentials (and echoes them in its error): send them as Basic auth instead.
 * `usage` is the message of the DoctorError for a URL that is not http(s), naming the flag or setting it came from.
 */
export function splitCredentials(url: string, usage: string): SplitUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DoctorError('usage', usage);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new DoctorError('usage', usage);
  const user = decodeURIComponent(parsed.username);
  const secret = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  if (!user && !secret) return { bare: parsed.toString() };
  return { bare: parsed.toString(), authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`, secret: secret || undefined };
}

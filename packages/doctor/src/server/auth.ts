import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const COOKIE = 'mvcc_doctor_token';

/**
 * With a token, every request must carry it: `Authorization: Bearer …` (Prometheus, scripts), or `?token=…` once
 * in a browser, which then keeps it in an HttpOnly cookie so the dashboard's own requests carry it.
 */
export function authorize(req: IncomingMessage, url: URL, token: string | undefined): { ok: boolean; setCookie?: string } {
  if (!token) return { ok: true };
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const cookie = (req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`))?.slice(COOKIE.length + 1);
  const query = url.searchParams.get('token') ?? undefined;
  if (same(bearer, token) || same(cookie && decodeURIComponent(cookie), token)) return { ok: true };
  if (same(query, token)) return { ok: true, setCookie: `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/` };
  return { ok: false };
}

/** Compare digests, so the time taken says nothing about how much of the token was right. */
function same(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

import { DoctorError } from '../../../connect/doctor-error.js';
import { ZONE_ABBREVIATIONS } from './zone-abbreviations.js';

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const UTC_NAMES = new Set(['Z', 'UTC', 'GMT', 'UT']);

/** A zone given by the reader: a fixed offset, or an IANA name resolved through Intl. */
type Zone = { offset: number } | { iana: string };

/**
 * Turns the times of every log shape into epoch ms: "2024-06-27 00:00:07 CEST" (%t), "… 07.369 CEST" (%m),
 * "1669575482.097" (%n), ISO 8601 with an offset (JSON exports, logplex) and syslog's "Feb 10 23:15:39".
 * A log line costs one string comparison when its second is the previous line's (the common case), so the
 * arithmetic below runs once per distinct second.
 */
export class LogTimeParser {
  /** Zone abbreviations met that are neither in the table nor resolvable: the caller warns once per name. */
  readonly unknownZones = new Set<string>();
  private readonly zone: Zone | undefined;
  private lastText = '\u0000';
  private lastValue = 0;
  /** The previous time's "YYYY-MM-DD HH:MM:SS", what follows its fraction, and that second in epoch ms. */
  private lastSecond = '\u0000';
  private lastZone = '';
  private lastBase = 0;
  private readonly cache = new Map<string, number>();

  /**
   * @param timezone log_timezone as the reader knows it (IANA name or ±HH[:MM]); when set it wins over zone
   *   abbreviations, which are only PostgreSQL's short names for that zone. Numeric offsets in the log always win.
   * @param year the year of syslog times, which carry none.
   */
  constructor(
    timezone: string | undefined,
    private readonly year: number = new Date().getUTCFullYear(),
  ) {
    this.zone = timezone === undefined ? undefined : parseZoneOption(timezone);
  }

  /** "YYYY-MM-DD HH:MM:SS[.fff…][ ZONE]" or "YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)"; undefined when not a time. */
  parse(text: string): number | undefined {
    if (text === this.lastText) return this.lastValue;
    const length = text.length;
    if (length < 19 || text.charCodeAt(4) !== 45 || text.charCodeAt(13) !== 58) return undefined;
    let fractionEnd = 19;
    while (fractionEnd < length && isDigitOrDot(text.charCodeAt(fractionEnd))) fractionEnd++;
    let base: number;
    // Same second and zone as the previous time (only the fraction differs): no string is made.
    if (text.startsWith(this.lastSecond) && length - fractionEnd === this.lastZone.length && text.endsWith(this.lastZone)) {
      base = this.lastBase;
    } else {
      const second = text.slice(0, 19);
      const zone = text.slice(fractionEnd);
      const key = `${second}|${zone}`;
      let cached = this.cache.get(key);
      if (cached === undefined) {
        const wall = Date.UTC(num(text, 0, 4), num(text, 5, 7) - 1, num(text, 8, 10), num(text, 11, 13), num(text, 14, 16), num(text, 17, 19));
        if (Number.isNaN(wall)) return undefined;
        cached = this.toUtc(wall, zone.trim());
        // Small: it only serves processes whose lines come a little out of order; a big one would age into V8's old space.
        if (this.cache.size > 64) this.cache.clear();
        this.cache.set(key, cached);
      }
      base = cached;
      this.lastSecond = second;
      this.lastZone = zone;
      this.lastBase = base;
    }
    let value = base;
    // Milliseconds from the first three fraction digits (JSON exports carry microseconds or nanoseconds).
    if (fractionEnd > 20) {
      let ms = 0;
      for (let i = 20; i < 23; i++) ms = ms * 10 + (i < fractionEnd ? text.charCodeAt(i) - 48 : 0);
      value += ms;
    }
    this.lastText = text;
    this.lastValue = value;
    return value;
  }

  /** %n: "1669575482.097" (seconds since the epoch, with milliseconds). */
  parseEpoch(text: string): number | undefined {
    const seconds = Number(text);
    return Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
  }

  /** syslog's "Feb 10 23:15:39" (no year, no zone): the reader's year and zone, UTC when it gave none. */
  parseSyslog(text: string): number | undefined {
    const month = MONTHS.indexOf(text.slice(0, 3));
    if (month < 0 || month % 3 !== 0) return undefined;
    const wall = Date.UTC(this.year, month / 3, Number(text.slice(4, 6)), num(text, 7, 9), num(text, 10, 12), num(text, 13, 15));
    return Number.isNaN(wall) ? undefined : this.toUtc(wall, '');
  }

  private toUtc(wall: number, zoneText: string): number {
    if (zoneText !== '') {
      // Offsets, and UTC by name, say exactly when; only abbreviations and missing zones need the reader's zone.
      const numeric = UTC_NAMES.has(zoneText) ? 0 : parseOffset(zoneText);
      if (numeric !== undefined) return wall - numeric * 60_000;
    }
    if (this.zone) return zoneToUtc(this.zone, wall);
    if (zoneText === '') return wall;
    const known = ZONE_ABBREVIATIONS.get(zoneText.toUpperCase());
    if (known !== undefined) return wall - known * 60_000;
    // A tzdata name printed as is (log_timezone = 'Europe/Paris' prints CET, but a few setups print the name).
    if (zoneText.includes('/')) {
      try {
        return zoneToUtc({ iana: zoneText }, wall);
      } catch {
        // not a zone name either
      }
    }
    this.unknownZones.add(zoneText);
    return wall;
  }
}

/** Parses the reader's timezone option; a DoctorError('usage') when it is neither an offset nor an IANA zone. */
export function parseZoneOption(text: string): Zone {
  const trimmed = text.trim();
  if (/^(?:UTC|GMT|Z)$/i.test(trimmed)) return { offset: 0 };
  const numeric = parseOffset(trimmed.replace(/^(?:UTC|GMT)(?=[+-])/i, ''));
  if (numeric !== undefined) return { offset: numeric };
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: trimmed });
  } catch {
    throw new DoctorError('usage', `unknown time zone "${text}": give an IANA name (Europe/Paris) or an offset (+05:30)`);
  }
  return { iana: trimmed };
}

/** "+0100", "-03", "+05:30", "+5" → minutes east of UTC; undefined for anything else. */
function parseOffset(text: string): number | undefined {
  const match = /^([+-])(\d{1,2})(?::?(\d\d))?$/.exec(text);
  if (!match) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  return match[1] === '-' ? -minutes : minutes;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of an IANA zone at an instant, in minutes, through Intl (no tz database of our own). */
function ianaOffset(zone: string, utc: number): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(utc)) parts[part.type] = Number(part.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return Math.round((wall - Math.floor(utc / 1000) * 1000) / 60_000);
}

function zoneToUtc(zone: Zone, wall: number): number {
  if ('offset' in zone) return wall - zone.offset * 60_000;
  // Two steps find the offset in force at the wall time, also next to a DST change.
  const first = wall - ianaOffset(zone.iana, wall) * 60_000;
  return wall - ianaOffset(zone.iana, first) * 60_000;
}

function num(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

function isDigitOrDot(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 46;
}

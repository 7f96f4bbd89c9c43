import { describe, expect, it } from 'vitest';
import { DoctorError } from '../../../connect/doctor-error.js';
import { LogTimeParser, parseZoneOption } from './log-time.js';

describe('LogTimeParser', () => {
  const utc = Date.UTC(2024, 5, 27, 0, 0, 7);

  it('reads %t and %m with zone abbreviations, offsets and UTC', () => {
    const times = new LogTimeParser(undefined);
    expect(times.parse('2024-06-27 00:00:07 UTC')).toBe(utc);
    expect(times.parse('2024-06-27 00:00:07.369 UTC')).toBe(utc + 369);
    expect(times.parse('2024-06-27 02:00:07 CEST')).toBe(utc);
    expect(times.parse('2024-06-27 02:00:07.001 CEST')).toBe(utc + 1);
    expect(times.parse('2024-06-26 19:00:07 EST')).toBe(utc); // EST is -05:00 all year
    expect(times.parse('2024-06-27 01:00:07.000 +0100')).toBe(utc);
    expect(times.parse('2024-06-26 21:00:07.000 -03')).toBe(utc);
    expect(times.parse('2024-06-27 05:30:07 +05:30')).toBe(utc);
    expect(times.unknownZones.size).toBe(0);
  });

  it('reads ISO 8601 with offsets, and fractions of any length to the millisecond', () => {
    const times = new LogTimeParser(undefined);
    expect(times.parse('2020-05-02T13:00:20.382318Z')).toBe(Date.UTC(2020, 4, 2, 13, 0, 20, 382));
    expect(times.parse('2019-03-14T00:22:56+00:00')).toBe(Date.UTC(2019, 2, 14, 0, 22, 56));
    expect(times.parse('2019-03-14T02:22:56.5+02:00')).toBe(Date.UTC(2019, 2, 14, 0, 22, 56, 500));
  });

  it('gives the same answer from its one-entry fast path as from a cold start', () => {
    const warm = new LogTimeParser(undefined);
    const texts = ['2024-06-27 02:00:07.100 CEST', '2024-06-27 02:00:07.200 CEST', '2024-06-27 02:00:07.200 CET', '2024-06-27 02:00:07.200 CEST', '2024-06-27 02:00:08 CEST'];
    for (const text of texts) expect(warm.parse(text)).toBe(new LogTimeParser(undefined).parse(text));
  });

  it('uses the timezone given for abbreviations and zone-less times, but never over an offset or UTC', () => {
    const paris = new LogTimeParser('Europe/Paris');
    expect(paris.parse('2024-06-27 02:00:07 CEST')).toBe(utc);
    expect(paris.parse('2024-01-15 01:00:00 CET')).toBe(Date.UTC(2024, 0, 15, 0, 0, 0));
    expect(paris.parse('2024-06-27 02:00:07')).toBe(utc);
    expect(paris.parse('2024-06-27 00:00:07 UTC')).toBe(utc);
    expect(paris.parse('2024-06-27 01:00:07 +0100')).toBe(utc);
    // BST means British Summer Time to the table; a server in Dhaka means Bangladesh time by it.
    expect(new LogTimeParser(undefined).parse('2024-06-27 01:00:07 BST')).toBe(utc);
    expect(new LogTimeParser('Asia/Dhaka').parse('2024-06-27 06:00:07 BST')).toBe(utc);
    expect(new LogTimeParser('+05').parse('2024-06-27 05:00:07 XYZ')).toBe(utc);
  });

  it('reads unknown abbreviations as UTC and says which', () => {
    const times = new LogTimeParser(undefined);
    expect(times.parse('2024-06-27 00:00:07 QQQ')).toBe(utc);
    expect([...times.unknownZones]).toEqual(['QQQ']);
  });

  it('reads %n and syslog times (the year given, the zone given or UTC)', () => {
    const times = new LogTimeParser(undefined, 2019);
    expect(times.parseEpoch('1669575482.097')).toBe(1669575482097);
    expect(times.parseSyslog('Feb 10 23:15:39')).toBe(Date.UTC(2019, 1, 10, 23, 15, 39));
    expect(times.parseSyslog('Feb  1 03:05:09')).toBe(Date.UTC(2019, 1, 1, 3, 5, 9));
    expect(new LogTimeParser('Europe/Paris', 2019).parseSyslog('Feb 10 23:15:39')).toBe(Date.UTC(2019, 1, 10, 22, 15, 39));
    expect(times.parseSyslog('Foo 10 23:15:39')).toBeUndefined();
  });

  it('is undefined for what is not a time', () => {
    const times = new LogTimeParser(undefined);
    for (const text of ['', 'LOG', '2024-06-27', '2024/06/27 00:00:07', 'xxxx-xx-xx xx:xx:xx UTC']) expect(times.parse(text)).toBeUndefined();
  });

  it('refuses a timezone that is neither an offset nor a zone name', () => {
    expect(parseZoneOption('UTC')).toEqual({ offset: 0 });
    expect(parseZoneOption('+5')).toEqual({ offset: 300 });
    expect(parseZoneOption('UTC-03:30')).toEqual({ offset: -210 });
    expect(parseZoneOption('America/New_York')).toEqual({ iana: 'America/New_York' });
    expect(() => parseZoneOption('Mars/Olympus')).toThrow(DoctorError);
  });
});

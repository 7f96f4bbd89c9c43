// Human units: XIDs and counts in K/M/B, bytes in KiB/MiB/GiB, durations in s/m/h/d, local times.

/** @type {[number, string][]} */
const COUNT_UNITS = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
/** @type {[number, string][]} */
const DURATION_UNITS = [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']];

/** 1234 → "1.23K", 2147483647 → "2.15B": three significant digits past a thousand. */
export function formatCount(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  for (const [size, suffix] of COUNT_UNITS) {
    if (abs >= size) return `${trim((n / size).toPrecision(3))}${suffix}`;
  }
  return abs >= 100 || Number.isInteger(n) ? String(Math.round(n)) : trim(n.toPrecision(3));
}

export function formatBytes(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(v) : trim(v.toPrecision(3))} ${units[i]}`;
}

/** 0.4 → "400 ms", 75 → "1 m 15 s", 200000 → "2 d 7 h": the two largest units. */
export function formatSeconds(sec) {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '–';
  if (sec < 0) return `-${formatSeconds(-sec)}`;
  if (sec < 1) return sec === 0 ? '0 s' : `${Math.round(sec * 1000)} ms`;
  if (sec < 60) return `${trim(sec.toPrecision(sec < 10 ? 2 : 3))} s`;
  const parts = [];
  let rest = Math.round(sec);
  for (const [size, unit] of DURATION_UNITS) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    } else if (parts.length) parts.push(null);
    if (parts.length === 2) break;
  }
  return parts.filter(Boolean).join(' ');
}

/** A share of a whole (0…1) as a percentage with enough digits to not read "0%" while it is not zero. */
export function formatShare(share) {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–';
  const pct = share * 100;
  if (pct === 0) return '0%';
  if (pct < 0.01) return '<0.01%';
  return `${trim(pct.toPrecision(pct < 1 ? 2 : 3))}%`;
}

/** Formatters by the unit names the charts use. */
export const UNITS = {
  xids: formatCount,
  count: formatCount,
  bytes: formatBytes,
  seconds: formatSeconds,
};

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const timeSecFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

/** A tick label: the time of day, or the day at midnight when the axis spans days. */
export function formatTick(ms, stepMs) {
  const d = new Date(ms);
  if (stepMs >= 86_400_000 || (stepMs >= 3_600_000 && d.getHours() === 0 && d.getMinutes() === 0)) return dayFmt.format(d);
  return stepMs < 60_000 ? timeSecFmt.format(d) : timeFmt.format(d);
}

export function formatDateTime(ms) {
  return ms === null || ms === undefined ? '–' : dateTimeFmt.format(new Date(ms));
}

/** The time of day when `ms` is today, else the date and time. */
export function formatWhen(ms, now = Date.now()) {
  if (ms === null || ms === undefined) return '–';
  return new Date(ms).toDateString() === new Date(now).toDateString() ? timeSecFmt.format(new Date(ms)) : dateTimeFmt.format(new Date(ms));
}

export function formatClock(ms) {
  return timeSecFmt.format(new Date(ms));
}

/** "12 s ago", "3 h 5 m ago". */
export function formatAgo(ms, now = Date.now()) {
  if (ms === null || ms === undefined) return 'never';
  const sec = Math.max(0, (now - ms) / 1000);
  return sec < 1 ? 'just now' : `${formatSeconds(sec < 60 ? Math.round(sec) : sec)} ago`;
}

/** "1.50" → "1.5", "2.00" → "2", "1.00e+3" → "1000". */
function trim(text) {
  return String(Number(text));
}

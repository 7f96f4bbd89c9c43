// Axis ticks a person reads at a glance: 1, 2, 5 × 10ⁿ for counts, powers of 1024 for bytes, whole minutes, hours
// and days for durations and for the time axis (aligned to local midnight).

/**
 * The value axis for data up to `max`: its top (a little above max, or 1 when everything is zero) and about `count`
 * round values from 0 up to that top.
 */
export function valueTicks(max, unit, count = 4) {
  const top = max > 0 ? max * 1.08 : 1;
  const step = unit === 'bytes' ? bytesStep(top / count) : unit === 'seconds' ? secondsStep(top / count) : decimalStep(top / count);
  const ticks = [];
  for (let i = 0; i * step <= top * (1 + 1e-9); i++) ticks.push(i * step);
  return { top, ticks };
}

function decimalStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function bytesStep(raw) {
  if (raw < 1024) return decimalStep(raw);
  const power = 1024 ** Math.floor(Math.log(raw) / Math.log(1024));
  const within = raw / power;
  for (const m of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]) if (m >= within) return m * power;
  return 1024 * power;
}

const SECOND_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

function secondsStep(raw) {
  if (raw < 1) return decimalStep(raw);
  for (const step of SECOND_STEPS) if (step >= raw) return step;
  return 86400 * decimalStep(raw / 86400);
}

const TIME_STEPS = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800].map((s) => s * 1000);

/** Round local times between from and to (epoch ms), about `count` of them, with the step used. */
export function timeTicks(from, to, count = 6) {
  const span = Math.max(1, to - from);
  const step = TIME_STEPS.find((s) => span / s <= count) ?? TIME_STEPS[TIME_STEPS.length - 1];
  // Align to the local clock: a step that divides a day starts at local midnight.
  const offset = -new Date(from).getTimezoneOffset() * 60_000;
  const first = Math.ceil((from + offset) / step) * step - offset;
  const ticks = [];
  for (let t = first; t <= to; t += step) ticks.push(t);
  return { ticks, step };
}

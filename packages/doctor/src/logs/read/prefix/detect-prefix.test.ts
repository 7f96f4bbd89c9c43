import { describe, expect, it } from 'vitest';
import { detectPrefix, inferTemplate } from './detect-prefix.js';

describe('inferTemplate', () => {
  it.each([
    ['2024-06-27 00:00:07 CEST [58151]: [1-1] user=,db=,host=,app= ', '%t [%p]: [%l-1] user=%u,db=%d,host=%h,app=%a '],
    ['2025-01-21 18:38:06.453 CET [78798] gilles@gilles ', '%m [%p] %u@%d '],
    ['2020-03-11 20:40:50 CET:192.168.1.201(50906):gilles@pgbench:[12795]:', '%t:%r:%u@%d:[%p]:'],
    ['2020-03-11 20:40:43 CET::@:[12760]:', '%t::%u@%d:[%p]:'],
    ['[24667]: [1-1] db=[unknown],user=[unknown] ', '[%p]: [%l-1] db=%d,user=%u '],
    [' sql_error_code = 00000 ', ' sql_error_code = %e '],
    ['2022-02-17 14:45:10.440 UTC [691] [queryid=-1081270519976314062] postgres@stackoverflow ', '%m [%p] [queryid=%Q] %u@%d '],
    ['2023-03-07 09:06:08 CET [130096]: [247-1] [0] usr=usr6,db=progdb,appli=76ae131687c458a8 ', '%t [%p]: [%l-1] [%x] usr=%u,db=%d,appli=%a '],
    ['2021-05-27 17:00:00 UTC:::1:user@my_db:[24743]:', '%t:%h:%u@%d:[%p]:'],
    ['1669575482.097 [600] 6383b33a.258 ', '%n [%p] %c '],
    ['time_ms = "2022-06-02 22:48:20.807 UTC" pid="11666" ', 'time_ms = "%m" pid="%p" '],
    ['100% [12] ', '100%% [%p] '],
  ])('%j → %j', (text, template) => {
    expect(inferTemplate(text)).toBe(template);
  });
});

describe('detectPrefix', () => {
  it('finds %q where background processes print the shorter form', () => {
    const detection = detectPrefix([
      '2025-01-21 18:37:49.782 CET [78776] LOG:  starting PostgreSQL 17.2',
      '2025-01-21 18:38:06.453 CET [78798] gilles@gilles ERROR:  conflicting values',
      '2025-01-21 18:38:06.453 CET [78798] gilles@gilles DETAIL:  This value contradicts',
      '\tcontinued',
    ]);
    expect(detection.prefix?.prefix).toBe('%m [%p] %q%u@%d ');
    expect(detection).toMatchObject({ candidates: 3, matched: 3 });
  });

  it('prefers %r when some lines show a port, and the prefix the lines show over a richer known one', () => {
    const rds = ['2020-03-11 20:40:43 CET::@:[12760]:LOG:  x', '2020-03-11 20:40:44 CET:[local]:postgres@template1:[12774]:LOG:  y', '2020-03-11 20:40:50 CET:1.2.3.4(50906):a@b:[12795]:FATAL:  z'];
    expect(detectPrefix(rds).prefix?.prefix).toBe('%t:%r:%u@%d:[%p]:');
    expect(detectPrefix(['2019-10-21 12:03:31.311 MSK [5133] LOG:  duration: 0.007 ms']).prefix?.prefix).toBe('%m [%p] ');
  });

  it('finds %a and %b where application names are free text (spaces, "@") and backend types are words', () => {
    const detection = detectPrefix([
      '1796169600.100 [18200-1] LOG:  database system is ready to accept connections',
      '1796169647.470 [18950-5] lab-deadlock-a postgres@postgres client backend ERROR:  deadlock detected',
      '1796169647.470 [18950-6] lab-deadlock-a postgres@postgres client backend DETAIL:  Process 18950 waits',
      '1796169600.658 [18252-1] shop-api@src/orders.ts:42#POST /orders postgres@shop client backend ERROR:  canceling statement due to lock timeout',
      '1796169600.670 [18252-3] shop-api@src/orders.ts:42#POST /orders postgres@shop client backend WARNING:  skipping vacuum',
      '1796169601.100 [18300-1] psql app@shop client backend LOG:  statement: SELECT 1',
      '1796169601.200 [18301-1] LOG:  automatic vacuum of table "shop.public.t"',
    ]);
    expect(detection.prefix?.prefix).toBe('%n [%p-%l] %q%a %u@%d %b ');
    expect(detection.matched).toBe(detection.candidates);
    const line = '1796169600.658 [18252-1] shop-api@src/orders.ts:42#POST /orders postgres@shop client backend ERROR:  x';
    const m = detection.prefix!.regex.exec(line)!;
    const g = detection.prefix!.groups;
    expect([m[g.application!], m[g.user!], m[g.database!], m[g.backendType!]]).toEqual(['shop-api@src/orders.ts:42#POST /orders', 'postgres', 'shop', 'client backend']);
  });

  it('gives no prefix when none explains most lines, and nothing from lines without a severity', () => {
    expect(detectPrefix(['hello world', 'pg_ctl: could not start server'])).toEqual({ candidates: 0, matched: 0 });
    const mixed = detectPrefix(['a1 LOG:  x', 'b2 c3 ERROR:  y', 'zz 9 9 9 WARNING:  w', '{q} FATAL:  f', '%% LOG:  p']);
    expect(mixed.prefix).toBeUndefined();
    expect(mixed.candidates).toBe(5);
  });
});

import { describe, expect, it } from 'vitest';
import { detectFormat } from './detect-format.js';

describe('detectFormat', () => {
  it.each([
    ['stderr', ['2024-06-27 00:00:07 CEST [58151]: [1-1] user=,db= LOG:  automatic vacuum', '\tpages: 5 removed']],
    ['stderr', ['[24667]: [1-1] db=x,user=y LOG:  connection authorized']],
    ['csvlog', ['2021-01-22 10:03:22.785 CET,"a","b",1486,"127.0.0.1:52306",6009c305.5ce,1,"SELECT",2021-01-21 19:08:05 CET,14/1,0,LOG,00000,"x",,,,,,,,,""']],
    ['syslog', ['Feb 10 23:15:39 test-pc postgres[10808]: [1-1] db=,user= LOG:  listening', 'Feb 10 23:15:41 test-pc systemd[1]: Started PostgreSQL']],
    ['syslog', ['2024-02-10T23:15:39.123456+01:00 host postgres[10808]: [1-1] LOG:  listening']],
    ['logplex', ['2019-03-14T00:22:56+00:00 app[postgres.4882]: [GREEN] [15-1]  sql_error_code = 00000 LOG:  x']],
    ['jsonlog', ['{"timestamp":"2024-06-27 00:00:07.369 CEST","pid":58151,"error_severity":"LOG","message":"x"}']],
    ['cnpg', ['{"level":"info","ts":1669575482.09,"logger":"postgres","msg":"record","record":{"error_severity":"LOG"}}']],
    ['cloudsql', ['{"textPayload":"[24667]: [1-1] db=x,user=y LOG:  x","timestamp":"2020-05-02T13:00:20.382318Z"}']],
  ])('%s', (format, lines) => {
    expect(detectFormat(lines)).toEqual({ format });
  });

  it('tells what is not a PostgreSQL log', () => {
    expect(detectFormat(['2018-09-12 16:08:54.775 3392 LOG file descriptor limit: 1024'])).toEqual({ notPostgres: 'pgbouncer' });
    expect(detectFormat(['2023-12-19 03:06:13.586 CET [10384] LOG C-0x7f3b: db/user@1.2.3.4:1 closing because: x'])).toEqual({ notPostgres: 'pgbouncer' });
    expect(detectFormat(['{"some":"json"}'])).toEqual({ notPostgres: 'json' });
    expect(detectFormat(['\u0000\u0001binary', 'nothing here'])).toEqual({ notPostgres: 'unknown' });
    expect(detectFormat([])).toEqual({ notPostgres: 'unknown' });
  });

  it('goes by the majority in a mixed sample', () => {
    expect(detectFormat(['{"timestamp":"x","error_severity":"LOG","message":"x"}', '2024-06-27 00:00:07 UTC [1] LOG:  a', '2024-06-27 00:00:07 UTC [1] LOG:  b'])).toEqual({ format: 'stderr' });
  });
});

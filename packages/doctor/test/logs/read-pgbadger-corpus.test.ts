import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogFormat } from '../../src/logs/log-record.js';
import { HAVE_CORPUS, PGBADGER, pgbadgerManifest, rawText, readAll } from './log-corpus.js';

/** The format MANIFEST.txt's words stand for; undefined: not a PostgreSQL log. */
function manifestFormat(text: string): LogFormat | undefined {
  if (text.includes('NOT postgres')) return undefined;
  if (text.startsWith('csvlog')) return 'csvlog';
  if (text.startsWith('jsonlog')) return 'jsonlog';
  if (text.includes('Cloud Logging')) return 'cloudsql';
  if (text.includes('CloudNativePG')) return 'cnpg';
  if (text.includes('logplex')) return 'logplex';
  if (text.startsWith('syslog')) return 'syslog';
  if (text.startsWith('stderr')) return 'stderr';
  throw new Error(`unknown format in MANIFEST.txt: ${text}`);
}

const SEVERITY = /(?<![A-Za-z])(LOG|ERROR|WARNING|FATAL|PANIC|NOTICE|INFO|DEBUG\d?|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION):\s/;
const CONTINUED_PIECE = /\]:? \[\d+-(?:[2-9]|\d\d+)\] (?:#011|\t)/;

/**
 * How many records a file holds, counted without the reader: text formats, the lines whose first severity word
 * is a record's own (not DETAIL/HINT/…) and that are not continuation pieces; csvlog, the lines that start with
 * a time; JSON, the entries with a severity.
 */
function independentCount(format: LogFormat, text: string): number {
  const lines = text.split('\n');
  if (format === 'csvlog') return lines.filter((l) => /^"?\d{4}-\d\d-\d\d /.test(l)).length;
  if (format === 'jsonlog' || format === 'cnpg') return lines.filter((l) => /"error_severity"/.test(l)).length;
  return lines.filter((l) => {
    if (l.startsWith('\t') || CONTINUED_PIECE.test(l)) return false;
    const severity = SEVERITY.exec(l)?.[1];
    return severity !== undefined && !['DETAIL', 'HINT', 'CONTEXT', 'STATEMENT', 'QUERY', 'LOCATION'].includes(severity);
  }).length;
}

describe.runIf(HAVE_CORPUS)("pgBadger's fixtures", () => {
  const rows = HAVE_CORPUS ? pgbadgerManifest() : [];

  it('lists every file of the corpus in MANIFEST.txt', () => {
    const files = readdirSync(PGBADGER).filter((f) => f !== 'MANIFEST.txt');
    expect(rows.map((r) => r.file).sort()).toEqual(files.sort());
    expect(files.length).toBeGreaterThanOrEqual(22);
  });

  for (const row of rows) {
    it(`${row.file}: the MANIFEST's format and prefix, as many records as an independent count, no warning`, async () => {
      const path = join(PGBADGER, row.file);
      const { records, stats } = await readAll([path]);
      const file = stats.files[0]!;
      const format = manifestFormat(row.format);
      if (!format) {
        // pgbouncer logs: not PostgreSQL; no records, one clear warning.
        expect(records).toEqual([]);
        expect(file.notPostgres).toBe('pgbouncer');
        expect(stats.warnings).toBe(1);
        expect(stats.messages).toEqual([`${path}: not a PostgreSQL server log (it looks like a pgbouncer log)`]);
        return;
      }
      expect(file.format).toBe(format);
      expect(file.prefix).toBe(row.prefix);
      expect(records.length).toBe(independentCount(format, rawText(path)));
      // pg_rawcsv.log has pg_ctl's two lines in it: not PostgreSQL's, counted.
      expect(stats.warnings, stats.messages.join('; ')).toBe(row.file === 'pg_rawcsv.log' ? 2 : 0);
      expect(file.lines).toBe(rawText(path).replace(/\n$/, '').split('\n').length);
      for (const record of records) {
        expect(record.severity).toMatch(/^(LOG|ERROR|WARNING|FATAL|PANIC|NOTICE|INFO|DEBUG[1-5]?)$/);
        expect(record.source.file).toBe(path);
        if (format !== 'stderr' || row.prefix?.match(/%[tmn]/)) expect(record.time, JSON.stringify(record)).toBeGreaterThan(Date.UTC(2010, 0, 1));
      }
    });
  }

  it('pg_vacuums.log.gz and pg_vacuums.json.gz give the same 3544 vacuum and analyze records', async () => {
    const stderr = (await readAll([join(PGBADGER, 'pg_vacuums.log.gz')])).records;
    const json = (await readAll([join(PGBADGER, 'pg_vacuums.json.gz')])).records;
    expect(stderr).toHaveLength(3544);
    expect(json).toHaveLength(3544);
    expect(stderr.filter((r) => r.message.startsWith('automatic vacuum of table '))).toHaveLength(2094);
    expect(stderr.filter((r) => r.message.startsWith('automatic analyze of table '))).toHaveLength(1450);
    for (let i = 0; i < stderr.length; i++) {
      const [s, j] = [stderr[i]!, json[i]!];
      expect({ pid: s.pid, severity: s.severity, message: s.message }).toEqual({ pid: j.pid, severity: j.severity, message: j.message });
      // %t has whole seconds, jsonlog milliseconds; two entries of the corpus straddle a second (00:51:27 vs 28.000).
      expect(Math.abs(s.time! - j.time!), `${s.source.line} / ${j.source.line}`).toBeLessThanOrEqual(1000);
    }
    expect(stderr[1]!.message).toBe(
      [
        'automatic vacuum of table "testdb.replication.tab_queue_tmp": index scans: 1',
        'pages: 5 removed, 303 remain, 10 scanned (3.30% of total)',
        'tuples: 828 removed, 667 remain, 24 are dead but not yet removable',
        'removable cutoff: 3949960346, which was 301 XIDs old when operation ended',
        'new relfrozenxid: 3949960326, which is 1136 XIDs ahead of previous value',
        'new relminmxid: 3713553644, which is 22 MXIDs ahead of previous value',
        'index scan needed: 9 pages from table (2.97% of total) had 1000 dead item identifiers removed',
        'index "tab_queue_tmp_pkey": pages: 258 in total, 2 newly deleted, 255 currently deleted, 240 reusable',
        'I/O timings: read: 0.000 ms, write: 0.000 ms',
        'avg read rate: 0.000 MB/s, avg write rate: 0.000 MB/s',
        'buffer usage: 573 hits, 0 misses, 0 dirtied',
        'WAL usage: 35 records, 0 full page images, 8042 bytes',
        'system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.00 s',
      ].join('\n'),
    );
    // 2024-06-27 00:00:07 CEST is 22:00:07 UTC the day before.
    expect(stderr[0]).toMatchObject({ time: Date.UTC(2024, 5, 26, 22, 0, 7), pid: 58151, sessionLine: 1, source: { line: 1 } });
    expect(stderr[1]!.source.line).toBe(6);
  });

  it('cloudsql.log.gz: each TAB entry re-stitched into the autovacuum report it continues', async () => {
    const { records } = await readAll([join(PGBADGER, 'cloudsql.log.gz')]);
    const vacuums = records.filter((r) => r.message.startsWith('automatic vacuum of table '));
    expect(vacuums).toHaveLength(15);
    for (const vacuum of vacuums) {
      expect(vacuum.message.split('\n').map((l) => l.split(':')[0]!.replace(/".*"/, '"…"'))).toEqual([
        'automatic vacuum of table "…"',
        'pages',
        'tuples',
        'buffer usage',
        'avg read rate',
        'system usage',
      ]);
    }
    expect(records.filter((r) => r.message.startsWith('automatic analyze of table '))).toHaveLength(19);
    expect(records.some((r) => r.message.startsWith('\t') || r.message.startsWith('pages:'))).toBe(false);
    // Time from the entry's timestamp (the prefix has none), pid and user from the text.
    expect(vacuums[0]).toMatchObject({ time: Date.parse('2020-05-02T13:00:32.362Z'), pid: 24670, sessionLine: 1, source: { line: 10 } });
    expect(records[1]).toMatchObject({ user: 'cloudsqladmin', database: 'cloudsqladmin', message: 'connection authorized: user=cloudsqladmin database=cloudsqladmin' });
  });

  it('logplex.gz: the deadlock with its three processes and queries, lock waits with their holders', async () => {
    const { records } = await readAll([join(PGBADGER, 'logplex.gz')]);
    const deadlock = records.find((r) => r.message === 'deadlock detected')!;
    expect(deadlock).toMatchObject({ pid: 4849, severity: 'ERROR', sqlstate: '40P01', hint: 'See server log for query details.', source: { line: 9 } });
    const detail = deadlock.detail!.split('\n');
    expect(detail.slice(0, 3)).toEqual([
      'Process 4849 waits for ShareLock on transaction 259635360; blocked by process 4821.',
      'Process 4821 waits for ShareLock on transaction 259635221; blocked by process 4796.',
      'Process 4796 waits for ShareLock on transaction 259635423; blocked by process 4849.',
    ]);
    expect(detail.slice(3).map((l) => l.slice(0, 33))).toEqual(['Process 4849: WITH redacted_table', 'Process 4821: WITH redacted_table', 'Process 4796: WITH redacted_table']);
    expect(deadlock.context).toBe('while locking tuple (1320064,42) in relation "redacted_table_2"');
    expect(deadlock.statement).toMatch(/^WITH redacted_table as \(select/);
    const waiting = records.find((r) => r.message.startsWith('process 4882 still waiting for ShareLock'))!;
    expect(waiting).toMatchObject({ detail: 'Process holding the lock: 4821. Wait queue: 4886, 4882.', context: 'while locking tuple (1508245,182) in relation "redacted_table_2"' });
    expect(records.filter((r) => / acquired ShareLock on transaction /.test(r.message))).toHaveLength(3);
    // The drain form (token before the source, no colon): a statement of six pieces, newlines kept.
    const long = records.find((r) => r.pid === 5925)!;
    expect(long.message.split('\n')).toHaveLength(6);
    expect(long.message).toContain('\n          select COUNT(id) from missions\n');
  });

  it('multiline_param.log: bind parameters with newlines stay in their DETAIL', async () => {
    const { records } = await readAll([join(PGBADGER, 'multiline_param.log')]);
    const bind = records.find((r) => r.message.startsWith('duration: 0.700 ms  bind njTypeOidQuery_Name'))!;
    // PostgreSQL wrote the value's newline as "\n\t"; the TAB is its own, the value is 'njchar\nhello'.
    expect(bind.detail).toBe("parameters: $1 = '1234', $2 = 'njchar\nhello', $3 = 'aaaa'");
    expect(bind).toMatchObject({ user: 'user1', database: 'mydb', pid: 4913, time: Date.parse('2021-12-03T07:14:48.594Z') });
  });

  it('queryid.log.gz: %Q query ids (negative ones too), multi-line statements joined, errors with their STATEMENT', async () => {
    const { records } = await readAll([join(PGBADGER, 'queryid.log.gz')]);
    expect(records[0]).toMatchObject({ queryId: '1081270519976314062', user: 'postgres', database: 'stackoverflow', pid: 691 });
    expect(records.some((r) => r.queryId === '-8112313845396740087')).toBe(true);
    const cancel = records.find((r) => r.message === 'canceling statement due to user request')!;
    expect(cancel.statement).toBe('explain (analyze,buffers) SELECT\n  avg(viewcount),\n  avg(answercount),\n  avg(commentcount),\n  avg(favoritecount)\nFROM posts_toast;');
    // A continuation whose TAB was turned into spaces by hand is still a continuation.
    expect(records.find((r) => r.message.includes("substring(name,1,3)='wor'"))!.message).toMatch(/\n {8}LIMIT 1000$/);
    const waited = records.find((r) => /still waiting for AccessShareLock/.test(r.message))!;
    expect(waited.detail).toMatch(/^Process holding the lock: \d+\. Wait queue: \d+\.$/);
  });

  it('tempfile_only.log.gz: temporary files with their STATEMENT, pre-9.6 autovacuum reports', async () => {
    const { records } = await readAll([join(PGBADGER, 'tempfile_only.log.gz')]);
    const temps = records.filter((r) => r.message.startsWith('temporary file: path '));
    expect(temps).toHaveLength(5);
    expect(temps.every((t) => t.statement?.startsWith('SELECT '))).toBe(true);
    expect(records.filter((r) => r.message.startsWith('automatic vacuum of table '))).toHaveLength(4);
  });

  it('rds.log.bz2 (bzip2 through the system program): RDS prefix, hosts with ports (as csvlog writes them), FATALs', async () => {
    const { records, stats } = await readAll([join(PGBADGER, 'rds.log.bz2')]);
    expect(stats.files[0]!.compression).toBe('bzip2');
    const fatal = records.find((r) => r.severity === 'FATAL')!;
    expect(fatal).toMatchObject({ client: '192.168.1.201:50906', user: 'gilles', database: 'pgbench', pid: 12795 });
    expect(fatal.message).toBe('no pg_hba.conf entry for host "192.168.1.201", user "gilles", database "pgbench", SSL on');
    expect(records[0]).toMatchObject({ pid: 12760, time: Date.parse('2020-03-11T19:40:43Z') });
    expect(records[0]!.user).toBeUndefined();
  });

  it('pg-syslog.1.bz2 and .2.gz: the same records a day apart; syslog pieces joined; other programs left out', async () => {
    const one = (await readAll([join(PGBADGER, 'pg-syslog.1.bz2')], { year: 2019 })).records;
    const two = await readAll([join(PGBADGER, 'pg-syslog.2.gz')], { year: 2019 });
    expect(two.stats.skipped.foreign).toBe(3); // systemd's lines
    expect(two.records.map((r) => r.message)).toEqual(one.map((r) => r.message));
    expect(one[0]!.time! - two.records[0]!.time!).toBe(14 * 3600 * 1000); // Feb 11 13:15:39 vs Feb 10 23:15:39
    const hint = one.find((r) => r.message === 'ending log output to stderr')!;
    expect(hint.hint).toBe('Future log output will go to log destination "syslog".');
    const psql = one.find((r) => r.message.startsWith('duration: 13.997 ms  statement: SELECT d.datname as "Name",'))!;
    expect(psql.message.split('\n')).toHaveLength(8);
    expect(psql.message).toContain('\n       pg_catalog.pg_get_userbyid(d.datdba) as "Owner",\n');
    expect(psql).toMatchObject({ pid: 10819, user: 'postgres', database: 'postgres', application: 'psql', client: '[local]', time: Date.UTC(2019, 1, 11, 13, 15, 40) });
  });

  it('csvlog: the 23-column layout (PG 10–12) and a 25-column one with a quoted time', async () => {
    const { records } = await readAll([join(PGBADGER, 'anonymize.log')]);
    expect(records).toHaveLength(8);
    expect(records[0]).toMatchObject({
      time: Date.parse('2021-01-22T09:03:22.785Z'),
      user: 'aaaa',
      database: 'aaaa',
      pid: 1486,
      client: '127.0.0.1:52306',
      sessionLine: 32878,
      virtualXid: '14/10903',
      severity: 'LOG',
      sqlstate: '00000',
      application: 'PostgreSQL JDBC Driver',
    });
    expect(records[0]!.message).toBe('duration: 26.120 ms  execute S_65: select * from testZustaendigkeiten($1, $2, $3, $4, $5)');
    expect(records[0]!.detail).toMatch(/^parameters: \$1 = 'XXXXXXXX', \$2 = NULL/);
    expect(records[0]!.backendType).toBeUndefined();
    const [slow, health] = (await readAll([join(PGBADGER, 'csv_statement_without_duration.log')])).records;
    expect(slow).toMatchObject({ time: Date.parse('2026-05-16T05:11:50.269Z'), backendType: 'client backend', application: 'example app', pid: 1001 });
    expect(health).toMatchObject({ message: 'statement: SELECT example_schema.health_check()', application: 'example healthcheck' });
    const week = (await readAll([join(PGBADGER, 'weeknumber.log')])).records;
    expect(week[0]!.message).toBe('duration: 0.576 ms  execute pdo_stmt_00000003: select * from "users" where "cn" = $1 and "users"."deleted_at" is null limit 1');
    expect(week[0]!.application).toBeUndefined();
  });

  it('pg_rawcsv.log: errors with DETAIL and STATEMENT; pg_ctl\'s own lines kept out of the records before them', async () => {
    const { records } = await readAll([join(PGBADGER, 'pg_rawcsv.log')]);
    const conflict = records.find((r) => r.message.startsWith('conflicting values'))!;
    expect(conflict).toMatchObject({
      user: 'gilles',
      database: 'gilles',
      detail: 'This value contradicts a previous setting for the same field type.',
      statement: "SELECT TO_DATE('311299999','DDMMYYYYY');",
    });
    const fatal = records.filter((r) => r.severity === 'FATAL');
    expect(fatal.map((r) => r.message)).toEqual(['configuration file "/etc/postgresql/17/main/postgresql.conf" contains errors']);
    expect((await readAll([join(PGBADGER, 'pg_rawcsv.log')])).stats.skipped).toEqual({ unparsed: 2 });
  });

  it('pg-timezones.log: times in UTC whatever the reader assumes; abbreviations follow the timezone given', async () => {
    const utc = (await readAll([join(PGBADGER, 'pg-timezones.log')], { timezone: '+05:00' })).records;
    expect(utc[0]).toMatchObject({ time: Date.parse('2021-05-27T17:00:00Z'), client: '10.1.91.65', user: 'user', database: 'my_db', pid: 24743 });
    // MSK (stmt_type.log) is +03:00 by the table, or whatever zone the reader says the server used.
    const msk = (await readAll([join(PGBADGER, 'stmt_type.log')])).records;
    expect(msk[0]!.time).toBe(Date.parse('2019-10-21T09:03:31.311Z'));
    const given = (await readAll([join(PGBADGER, 'stmt_type.log')], { timezone: 'Asia/Tokyo' })).records;
    expect(given[0]!.time).toBe(Date.parse('2019-10-21T03:03:31.311Z'));
  });
});

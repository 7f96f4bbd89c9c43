import { describe, expect, it } from 'vitest';
import { prepared, session, slot, snapshot, standby, table } from '../../test/check/row-fixtures.js';
import { capIn, cappersOf, capsRelation, capsText } from './horizon-caps.js';
import { releaseOf } from './holder-release.js';
import { horizonHolders } from './horizon-holders.js';

// One holder of each kind, all 150,000 XIDs back: the ages decide nothing here, the kinds do.
const holders = horizonHolders(
  snapshot({
    activity: [session(7, { datname: 'shop', state: 'idle in transaction', backend_xid: '900', xid_age: 150_000, xact_seconds: 60 })],
    prepared: [prepared('pay-1', { database: 'shop', xid_age: 150_000 })],
    slots: [
      slot('cdc', { slot_type: 'logical', database: 'shop', active: false, catalog_xmin: '900', catalog_xmin_age: 150_000 }),
      slot('replica', { active: false, xmin: '900', xmin_age: 150_000 }),
    ],
    standbys: [standby('reports', { backend_xmin: '900', xmin_age: 150_000 })],
  }),
);
const byKind = (label: string) => holders.find((h) => h.label.includes(label))!;

describe('what a holder caps', () => {
  it('a session or prepared transaction: every relation of its database, the shared catalogs of the others', () => {
    for (const h of [byKind('pid 7'), byKind('pay-1')]) {
      expect(capIn(h, 'shop')).toBe('all');
      expect(capIn(h, 'postgres')).toBe('shared catalogs');
      expect(capsRelation(h, 'postgres', table('orders'))).toBe(false);
      expect(capsRelation(h, 'postgres', table('pg_database', { schema: 'pg_catalog', shared: true }))).toBe(true);
      expect(capsText(h)).toBe('database "shop", and every other database through the shared catalogs');
    }
  });

  it("a logical slot's catalog_xmin: the system catalogs of every database, no user table", () => {
    const h = byKind('cdc');
    expect(h.reach).toBe('catalog');
    for (const db of ['shop', 'postgres']) {
      expect(capIn(h, db)).toBe('catalogs');
      expect(capsRelation(h, db, table('orders'))).toBe(false);
      expect(capsRelation(h, db, table('pg_class', { schema: 'pg_catalog' }))).toBe(true);
    }
    expect(capsText(h)).toBe('the system catalogs of every database');
  });

  it('a physical slot or a standby: every relation of every database', () => {
    for (const h of [byKind('replica'), byKind('reports')]) {
      expect(capIn(h, 'postgres')).toBe('all');
      expect(capsRelation(h, 'postgres', table('orders'))).toBe(true);
      expect(capsText(h)).toBe('every database');
    }
  });

  it('a slot holding both xmin and an older catalog_xmin is two holders: data at xmin, catalogs at catalog_xmin', () => {
    const both = horizonHolders(snapshot({ slots: [slot('cascade', { active: false, xmin: '950', xmin_age: 1000, catalog_xmin: '900', catalog_xmin_age: 5000 })] }));
    expect(both.map((h) => [h.reach, h.xids])).toEqual([
      ['catalog', 5000],
      ['cluster', 1000],
    ]);
    // A younger catalog_xmin adds nothing: the xmin covers the catalogs too.
    expect(horizonHolders(snapshot({ slots: [slot('cascade', { xmin: '900', xmin_age: 5000, catalog_xmin: '950', catalog_xmin_age: 1000 })] }))).toHaveLength(1);
  });
});

describe('cappersOf', () => {
  it('every holder past the age caps every database, safest release first', () => {
    const cappers = cappersOf(holders, 'postgres', 100_000);
    expect(cappers.map((c) => [c.holder.kind, c.scope, releaseOf(c.holder).action])).toEqual([
      ['session', 'shared catalogs', 'terminate'],
      ['standby', 'all', 'none'],
      ['prepared-transaction', 'shared catalogs', 'rollback-prepared'],
      ['replication-slot', 'catalogs', 'drop-slot'],
      ['replication-slot', 'all', 'drop-slot'],
    ]);
    expect(cappersOf(holders, 'postgres', 150_000)).toEqual([]);
  });

  it('each release says how', () => {
    expect(releaseOf(byKind('pid 7')).steps).toEqual(['SELECT pg_terminate_backend(7);  -- ends the session; its transaction rolls back']);
    expect(releaseOf(byKind('pay-1')).steps).toEqual([`\\connect "shop"\nROLLBACK PREPARED 'pay-1';  -- only once its transaction manager has given it up`]);
    expect(releaseOf(byKind('cdc')).steps).toEqual([`SELECT pg_drop_replication_slot('cdc');  -- its consumer must then be set up again`]);
    expect(releaseOf(byKind('reports')).steps[0]).toMatch(/^-- on standby "reports" \(10\.0\.0\.2\): .*set hot_standby_feedback = off on it/);
  });
});

describe('who holds the horizon', () => {
  it('not a backend still connecting: its catalog snapshot lasts milliseconds', () => {
    const starting = session(8, { datname: 'shop', state: 'starting', backend_xmin: '900', xmin_age: 150_000 });
    expect(horizonHolders(snapshot({ activity: [starting] }))).toEqual([]);
    expect(horizonHolders(snapshot({ activity: [{ ...starting, state: 'idle in transaction' }] }))).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import type { ForeignKey } from './foreign-keys.js';
import { orphanCondition, orphanCountSql, orphanSampleSql } from './orphan-sql.js';

function fk(overrides: Partial<ForeignKey> = {}): ForeignKey {
  return {
    name: 'orders_customer_id_fkey',
    childSchema: 'public',
    childTable: 'orders',
    childKind: 'r',
    parentSchema: 'public',
    parentTable: 'customers',
    parentKind: 'r',
    childColumns: ['customer_id'],
    parentColumns: ['id'],
    operatorSchemas: ['pg_catalog'],
    operatorNames: ['='],
    matchType: 's',
    validated: true,
    childPrimaryKey: ['id'],
    definition: 'FOREIGN KEY (customer_id) REFERENCES customers(id)',
    idleTriggers: [],
    ...overrides,
  };
}

describe('orphan anti-join SQL', () => {
  it('is the seed documents\' "orphaned orders" query, with RI\'s own operator, over the table ONLY', () => {
    expect(orphanSampleSql(fk())).toBe(
      'SELECT c.ctid::text AS ctid, c."id"::text AS "id", c."customer_id"::text AS "customer_id" FROM ONLY "public"."orders" c WHERE c."customer_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ONLY "public"."customers" p WHERE p."id" OPERATOR("pg_catalog".=) c."customer_id") LIMIT $1',
    );
    expect(orphanCountSql(fk())).toMatch(/^SELECT count\(\*\) AS n FROM ONLY "public"."orders" c WHERE /);
  });

  it('quotes every name, pairs the columns of a multi-column key, and names each column once', () => {
    const sql = orphanSampleSql(
      fk({ childSchema: 'Lab "Shop"', childTable: 'ship ments', parentSchema: 'Lab "Shop"', parentTable: 'Order Items', childColumns: ['order_id', 'line_no'], parentColumns: ['order_id', 'Line No'], operatorSchemas: ['pg_catalog', 'pg_catalog'], operatorNames: ['=', '='], childPrimaryKey: ['order_id', 'id'] }),
    );
    expect(sql).toContain('FROM ONLY "Lab ""Shop"""."ship ments" c');
    expect(sql).toContain('c."order_id" IS NOT NULL AND c."line_no" IS NOT NULL');
    expect(sql).toContain('p."order_id" OPERATOR("pg_catalog".=) c."order_id" AND p."Line No" OPERATOR("pg_catalog".=) c."line_no"');
    expect(sql.match(/c\."order_id"::text/g)).toHaveLength(1);
    expect(sql).toContain('c."id"::text AS "id", c."line_no"::text AS "line_no"');
  });

  it('reads a partitioned table whole (ONLY would see no rows)', () => {
    expect(orphanSampleSql(fk({ childKind: 'p', parentKind: 'p' }))).toContain('FROM "public"."orders" c WHERE c."customer_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "public"."customers" p');
  });

  it('MATCH FULL also finds partly-null keys; MATCH SIMPLE lets them through', () => {
    const two = { childColumns: ['a', 'b'], parentColumns: ['x', 'y'], operatorSchemas: ['pg_catalog', 'pg_catalog'], operatorNames: ['=', '='] };
    expect(orphanCondition(fk({ ...two, matchType: 's' }))).not.toContain('IS NULL');
    expect(orphanCondition(fk({ ...two, matchType: 'f' }))).toContain('OR ((c."a" IS NULL OR c."b" IS NULL) AND (c."a" IS NOT NULL OR c."b" IS NOT NULL))');
  });

  it('refuses an operator name that is not an operator', () => {
    expect(() => orphanCondition(fk({ operatorNames: ['= 1) OR (1'] }))).toThrow(/unexpected operator/);
  });
});

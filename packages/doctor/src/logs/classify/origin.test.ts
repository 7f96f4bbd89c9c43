import { describe, expect, it } from 'vitest';
import { marginaliaLine, parseMarginalia } from './marginalia.js';
import { originOf } from './origin.js';

describe('parseMarginalia', () => {
  it('reads Rails marginalia / QueryLogs tags, trailing or leading', () => {
    expect(
      parseMarginalia("UPDATE checkers SET n = 1 /*application:ComboBackend,line:/app/workers/update.rb:5:in `perform',job:RedundantUpdates::UpdateCheckers,job_id:4bf2ec64*/"),
    ).toEqual({ application: 'ComboBackend', line: "/app/workers/update.rb:5:in `perform'", job: 'RedundantUpdates::UpdateCheckers', job_id: '4bf2ec64' });
    expect(parseMarginalia('/*application:Shop,controller:orders,action:create*/ SELECT 1')).toEqual({ application: 'Shop', controller: 'orders', action: 'create' });
  });

  it('is not any comment', () => {
    expect(parseMarginalia('SELECT 1 /* just a note */')).toBeUndefined();
    expect(parseMarginalia('SELECT 1 /*foo:bar*/')).toBeUndefined();
    expect(parseMarginalia("SELECT 1 /*app='x'*/")).toBeUndefined();
    expect(parseMarginalia('SELECT 1')).toBeUndefined();
  });

  it('cuts the method off a line tag', () => {
    expect(marginaliaLine("/app/models/order.rb:12:in `save'")).toBe('/app/models/order.rb:12');
    expect(marginaliaLine('app/models/order.rb:12')).toBe('app/models/order.rb:12');
  });
});

describe('originOf', () => {
  it('prefers the statement comment (sqlcommenter) to the application_name tag', () => {
    expect(
      originOf('orders@src/tx.ts:10#POST /orders', [undefined, "SELECT 1 /*app='orders',origin='src%2Forders%2Fcreate.ts%3A88',traceparent='00-abc-def-01'*/"]),
    ).toEqual({ app: 'orders', origin: 'src/orders/create.ts:88', traceparent: '00-abc-def-01', route: 'POST /orders' });
  });

  it('maps marginalia to app, origin and route', () => {
    expect(originOf(undefined, ['SELECT 1 /*application:Shop,controller:orders,action:create,line:/app/controllers/orders_controller.rb:21:in `create\'*/'])).toEqual({
      app: 'Shop',
      origin: '/app/controllers/orders_controller.rb:21',
      route: 'orders#create',
    });
  });

  it('reads the application_name tag alone, and a plain application_name as the app', () => {
    expect(originOf('orders@.../create.ts:88#job:nightly', [])).toEqual({ app: 'orders', origin: '.../create.ts:88', route: 'job:nightly' });
    expect(originOf('psql', ['SELECT 1'])).toEqual({ app: 'psql' });
    expect(originOf(undefined, ['SELECT 1'])).toBeUndefined();
    expect(originOf('', [])).toBeUndefined();
  });
});

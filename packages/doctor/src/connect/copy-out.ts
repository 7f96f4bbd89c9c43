import type pg from 'pg';

/** What pg hands a query object it drives (its Connection); only the two calls we make. */
interface Wire {
  query(text: string): void;
  sendCopyFail(message: string): void;
}

/**
 * `COPY … TO STDOUT` on a pg.Client without pg-copy-streams: pg drives any object with `submit` (its "custom
 * query" contract, the one pg-cursor uses) and passes it every CopyData message. Each chunk goes to `write` as
 * it arrives, so a table of any size streams through without being held in memory.
 */
export function copyOut(client: pg.Client, text: string, write: (chunk: Buffer) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let rows = 0;
    let failed: unknown;
    const query = {
      callback: (error: unknown) => (error ? reject(error) : failed ? reject(failed) : resolve(rows)),
      submit(connection: Wire) {
        connection.query(text);
      },
      handleRowDescription() {},
      handleDataRow() {},
      handlePortalSuspended() {},
      handleEmptyQuery() {},
      handleCopyInResponse(connection: Wire) {
        connection.sendCopyFail('mvcc-doctor only copies out');
      },
      handleCopyData(message: { chunk: Buffer }) {
        if (failed) return;
        try {
          write(message.chunk);
        } catch (error) {
          // The server goes on sending until CopyDone; the first local failure is what the caller hears.
          failed = error;
        }
      },
      handleCommandComplete(message: { text: string }) {
        rows = Number(/(\d+)$/.exec(message.text)?.[1] ?? 0);
      },
      // pg calls this with the server's error and then forgets the query: the callback must settle here.
      handleError(error: unknown) {
        query.callback(error);
      },
      handleReadyForQuery() {
        query.callback(undefined);
      },
    };
    client.query(query as unknown as pg.QueryConfig);
  });
}

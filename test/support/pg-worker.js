'use strict';
// The worker thread behind the tests' synchronous PostgreSQL helpers (test/support/engine.ts):
// it keeps one connection per database and answers each request on the port, then wakes the
// test, which waits on `signal` (Atomics.wait) until the answer is there.
// A request: { url, statements: [{ sql, params }], transaction } runs the statements (in one
// transaction if asked) and answers { results: [rows, …] }, and with `once` closes the
// connection after them (the server's, used only to create and drop databases);
// { url, close: true } closes that database's connection (before it is dropped). A failure
// answers { error }.
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pg);

const { port, signal } = workerData;
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** @type {Map<string, Promise<import('pg').Client>>} */
const clients = new Map();

function clientFor(url) {
  let client = clients.get(url);
  if (!client) {
    const created = new pg.Client({ connectionString: url });
    // A database dropped under the connection ends it: the next request connects anew.
    created.on('error', () => clients.delete(url));
    created.on('end', () => clients.delete(url));
    client = created.connect().then(() => created);
    client.catch(() => clients.delete(url));
    clients.set(url, client);
  }
  return client;
}

async function close(url) {
  const client = clients.get(url);
  clients.delete(url);
  if (client) await (await client).end();
}

async function run({ url, statements, transaction, once }) {
  const client = await clientFor(url);
  const results = [];
  if (transaction) await client.query('BEGIN');
  try {
    for (const { sql, params } of statements) results.push((await client.query(sql, params)).rows);
    if (transaction) await client.query('COMMIT');
  } catch (error) {
    if (transaction) await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    if (once) await close(url);
  }
  return results;
}

port.on('message', async (request) => {
  let answer;
  try {
    answer = request.close ? (await close(request.url), {}) : { results: await run(request) };
  } catch (error) {
    answer = { error: error.message };
  }
  port.postMessage(answer);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});

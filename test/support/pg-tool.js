'use strict';
// Run by the tests as a child process (their helpers are synchronous):
//   node pg-tool.js create <server-url> <name> [template]   creates a database
//   node pg-tool.js drop <server-url> <name>                drops it
//   node pg-tool.js query <database-url>                    runs {sql, params} read from stdin, prints the rows as JSON
//   node pg-tool.js batch <database-url>                    runs [{sql, params}, …] in one transaction, prints each one's rows
// `?` placeholders are numbered for PostgreSQL ($1, $2, …); bigints (count(*)) come back as numbers.
const { URL } = require('node:url');
const pg = require('pg');

pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

function databaseUrl(server, name) {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

function numbered(sql) {
  let n = 0;
  let quoted = false;
  let out = '';
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  return out;
}

async function main() {
  const [command, url, name, template] = process.argv.slice(2);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (command === 'create') {
      await client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
      process.stdout.write(databaseUrl(url, name));
    } else if (command === 'drop') {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } else if (command === 'query') {
      let input = '';
      for await (const chunk of process.stdin) input += chunk;
      const { sql, params } = JSON.parse(input);
      const result = await client.query(numbered(sql), params);
      process.stdout.write(JSON.stringify(result.rows));
    } else if (command === 'batch') {
      let input = '';
      for await (const chunk of process.stdin) input += chunk;
      const results = [];
      await client.query('BEGIN');
      for (const { sql, params } of JSON.parse(input)) results.push((await client.query(numbered(sql), params)).rows);
      await client.query('COMMIT');
      process.stdout.write(JSON.stringify(results));
    } else {
      throw new Error(`unknown command ${command}`);
    }
  } finally {
    await client.end();
  }
}

// Run as a tool; required (test/unit/helpers.ts), it lends its placeholder numbering.
if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
}

module.exports = { numbered };

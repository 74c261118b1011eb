'use strict';
// Run by scripts/test.mjs before the PostgreSQL suite:
//   node pg-tool.js create <server-url> <name> [template]   creates a database, prints its URL
// Required by the tests, it lends them its rule for numbering `?` placeholders ($1, $2, …).
// (The tests' own statements go through pg-worker.js.)
const { URL } = require('node:url');

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
  const pg = require('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (command === 'create') {
      await client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
      process.stdout.write(databaseUrl(url, name));
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

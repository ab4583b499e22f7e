// bench/collect/jsforce-query.mjs: the jsforce side of the field-history benchmark.
//
// Runs each SOQL query of a file with jsforce (unmodified, from npm) the way a jsforce user pulls
// a big result: conn.query(soql, {autoFetch: true, maxFetch: <large>, scanAll: true}) (scanAll =
// the REST queryAll resource, what custody uses for field history), and writes one NDJSON line per
// record, as jsforce hands it over (the 'record' event, JSON.stringify), to an output file.
// Queries run one after another on one connection, as custody's field-history stream does.
//
// Environment (run by bench/collect/collectbench.py):
//   JSFORCE_DIR        folder whose node_modules holds jsforce (test/jsforce's pinned lock)
//   SF_INSTANCE_URL    the instance URL
//   SF_ACCESS_TOKEN    the bearer token (environment, never argv)
//   SF_API_VERSION     e.g. 62.0
//   SOQL_FILE          one SOQL query a line
//   OUT_FILE           the NDJSON output
// Prints one JSON line on stdout: rows per query, totalSize per query, HTTP pages, seconds.
// Exit status 0 when every query delivered totalSize rows, 1 otherwise.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`jsforce-query.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
};

const require = createRequire(path.join(path.resolve(env('JSFORCE_DIR')), 'package.json'));
const jsforce = require('jsforce');

const conn = new jsforce.Connection({
  instanceUrl: env('SF_INSTANCE_URL'),
  accessToken: env('SF_ACCESS_TOKEN'),
  version: env('SF_API_VERSION'),
});
const soqls = fs.readFileSync(env('SOQL_FILE'), 'utf8').split('\n').filter((l) => l.trim() !== '');
const fd = fs.openSync(env('OUT_FILE'), 'w');

// Lines are gathered into ~1 MiB strings and written synchronously: no stream buffering grows
// behind a slow disk, and few write calls (kinder to jsforce than a WriteStream would be).
let pending = [];
let pendingBytes = 0;
const flush = () => {
  if (pending.length) fs.writeSync(fd, pending.join(''));
  pending = [];
  pendingBytes = 0;
};

function runQuery(soql) {
  return new Promise((resolve, reject) => {
    let rows = 0;
    let pages = 0;
    const q = conn.query(soql);
    q.on('fetch', () => { pages += 1; });
    q.on('record', (record) => {
      const line = JSON.stringify(record) + '\n';
      pending.push(line);
      pendingBytes += line.length;
      if (pendingBytes >= 1 << 20) flush();
      rows += 1;
    });
    q.on('end', () => resolve({ rows, pages, totalSize: q.totalSize }));
    q.on('error', reject);
    q.run({ autoFetch: true, maxFetch: 1e9, scanAll: true });
  });
}

const t0 = process.hrtime.bigint();
const out = { queries: [], rows: 0, pages: 0 };
let ok = true;
try {
  for (const soql of soqls) {
    const r = await runQuery(soql);
    flush();
    out.queries.push({ object: (soql.match(/\bFROM\s+(\S+)/i) || [])[1], rows: r.rows, totalSize: r.totalSize, pages: r.pages });
    out.rows += r.rows;
    out.pages += r.pages;
    if (r.rows !== r.totalSize) ok = false;
  }
} catch (e) {
  console.error(`jsforce-query.mjs: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
}
flush();
fs.closeSync(fd);
out.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
out.jsforce = jsforce.VERSION;
out.node = process.version;
console.log(JSON.stringify(out));
process.exit(ok ? 0 : 1);

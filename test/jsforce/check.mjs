// Compatibility check: the real jsforce (npm), unmodified, against custody-sim.
//
// Run by test/jsforce/run.sh, which installs jsforce, starts the simulators and passes:
//   JSFORCE_DIR       folder whose node_modules holds jsforce (the pinned package-lock.json)
//   SIM_MAIN_JSON     file holding the startup line of the main simulator (plain HTTP)
//   SIM_TOKENS_JSON   file holding the startup line of the simulator started with
//                     --token-requests 5 --tls (its CA is in NODE_EXTRA_CA_CERTS)
// Every numbered check is a hard assertion; lines marked "info" only report what jsforce did.
// Exit status: 0 all checks passed, 1 any check failed.

import crypto from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { createRequire } from 'node:module';

const jsforceDir = process.env.JSFORCE_DIR;
if (!jsforceDir) {
  console.error('check.mjs: JSFORCE_DIR is not set (run test/jsforce/run.sh)');
  process.exit(1);
}
const require = createRequire(path.join(path.resolve(jsforceDir), 'package.json'));
const jsforce = require('jsforce');
const { Connection } = jsforce;

const HISTORY_SOQL = 'SELECT Id, CreatedDate, Field FROM ContactHistory';
const MIN_HISTORY_ROWS = 10000;
const GLOBAL_TIMEOUT_MS = Number(process.env.JSFORCE_CHECK_TIMEOUT_MS || 900000);
// One check may not take longer than this (jsforce retries a 5xx five times with back-off, and with
// 5-call tokens a query that always fails would retry and refresh for ever).
const CHECK_TIMEOUT_MS = Number(process.env.JSFORCE_CHECK_STEP_TIMEOUT_MS || 180000);

function readStartup(envName) {
  const file = process.env[envName];
  if (!file) throw new Error(`${envName} is not set (run test/jsforce/run.sh)`);
  const line = fs.readFileSync(file, 'utf8').split('\n')[0];
  return JSON.parse(line);
}

// Content-Encoding of every response jsforce's HTTP client (undici) received, by request path,
// read from undici's diagnostics channel: an observer only, jsforce is not touched.
const responseEncodings = [];
diagnosticsChannel.subscribe('undici:request:headers', ({ request, response }) => {
  let encoding = 'identity';
  const h = response.headers || [];
  for (let i = 0; i + 1 < h.length; i += 2) {
    if (String(h[i]).toLowerCase() === 'content-encoding') encoding = String(h[i + 1]);
  }
  responseEncodings.push({ path: String(request.path), encoding });
});

function encodingsSince(mark, pattern) {
  const picked = responseEncodings.slice(mark).filter((e) => pattern.test(e.path));
  const gzip = picked.filter((e) => e.encoding === 'gzip').length;
  return `${gzip} of ${picked.length} gzip-encoded`;
}

class CheckFailure extends Error {}

function assert(condition, message) {
  if (!condition) throw new CheckFailure(message);
}

function describeError(err) {
  if (!err) return String(err);
  const parts = [];
  if (err.name && err.name !== 'Error') parts.push(err.name);
  if (err.errorCode && err.errorCode !== err.name) parts.push(err.errorCode);
  parts.push(err.message);
  return parts.join(': ');
}

function idsUnique(records) {
  return new Set(records.map((r) => r.Id)).size === records.length;
}

// Runs a jsforce query with autoFetch and counts the HTTP pages it fetched ('fetch' events).
async function fetchAll(conn, soql, { scanAll = false, headers } = {}) {
  const options = { autoFetch: true, maxFetch: 1e9, scanAll };
  if (headers) options.headers = headers;
  const query = conn.query(soql, options);
  let pages = 0;
  query.on('fetch', () => {
    pages += 1;
  });
  const started = process.hrtime.bigint();
  const result = await query;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { result, pages, seconds };
}

function clientCredentialsConnection(sim) {
  return new Connection({
    oauth2: { clientId: sim.client_id, clientSecret: sim.client_secret, loginUrl: sim.instance_url },
    version: sim.api_version,
  });
}

function makeJwtAssertion(sim, lifetimeSeconds = 180) {
  const b64url = (buf) => Buffer.from(buf).toString('base64url');
  const header = b64url(JSON.stringify({ alg: 'RS256' }));
  const claims = b64url(
    JSON.stringify({
      iss: sim.client_id,
      sub: sim.username,
      aud: sim.jwt_audience,
      exp: Math.floor(Date.now() / 1000) + lifetimeSeconds,
    }),
  );
  const signer = crypto.createSign('RSA-SHA256');
  signer.update(`${header}.${claims}`);
  const signature = signer.sign(fs.readFileSync(sim.jwt_private_key, 'utf8'));
  return `${header}.${claims}.${b64url(signature)}`;
}

// A download that does not go through jsforce: node's own http client, no compression asked.
function rawDownload(sim, url, accessToken) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    const options = {
      method: 'GET',
      headers: { Authorization: `Bearer ${accessToken}`, 'Accept-Encoding': 'identity' },
    };
    if (u.protocol === 'https:' && sim.ca_file) options.ca = fs.readFileSync(sim.ca_file);
    const req = lib.request(u, options, (res) => {
      const hash = crypto.createHash('sha256');
      let bytes = 0;
      res.on('data', (chunk) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode, encoding: res.headers['content-encoding'], bytes, sha256: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function streamDigest(stream) {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    stream.on('data', (chunk) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buf.length;
      hash.update(buf);
    });
    stream.on('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
    stream.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------

async function checkClientCredentials(sim) {
  const conn = clientCredentialsConnection(sim);
  const userInfo = await conn.authorize({ grant_type: 'client_credentials' });
  assert(conn.instanceUrl === sim.instance_url, `instanceUrl is ${conn.instanceUrl}, expected ${sim.instance_url}`);
  assert(typeof conn.accessToken === 'string' && conn.accessToken.length >= 20, 'no access token after authorize');
  assert(userInfo && userInfo.organizationId === sim.org_id, `organizationId ${userInfo && userInfo.organizationId}, expected ${sim.org_id}`);
  const limits = await conn.limits();
  assert(limits && limits.DailyApiRequests && limits.DailyApiRequests.Max > 0, 'limits() after login returned no DailyApiRequests');

  // Salesforce refuses client_credentials on login.salesforce.com; so does the simulator, and
  // jsforce surfaces the OAuth error.
  const onLoginHost = new Connection({
    oauth2: { clientId: sim.client_id, clientSecret: sim.client_secret, loginUrl: sim.login_url },
    version: sim.api_version,
  });
  let refused = null;
  try {
    await onLoginHost.authorize({ grant_type: 'client_credentials' });
  } catch (err) {
    refused = err;
  }
  assert(refused !== null, 'client_credentials on the login url was accepted; Salesforce refuses it there');
  return `instanceUrl=${conn.instanceUrl}, token ${conn.accessToken.slice(0, 18)}..., user ${userInfo.id}; ` +
    `on the login url refused as ${describeError(refused)}`;
}

async function checkJwtBearer(sim) {
  const conn = new Connection({ loginUrl: sim.login_url, version: sim.api_version });
  const userInfo = await conn.authorize({
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion: makeJwtAssertion(sim),
  });
  assert(conn.instanceUrl === sim.instance_url, `instanceUrl is ${conn.instanceUrl}, expected ${sim.instance_url}`);
  assert(typeof conn.accessToken === 'string' && conn.accessToken.length >= 20, 'no access token after authorize');
  const count = await conn.query('SELECT COUNT() FROM ContactHistory');
  assert(Number.isInteger(count.totalSize) && count.totalSize > 0, `COUNT() query returned totalSize ${count.totalSize}`);
  const some = await conn.query('SELECT Id, Field FROM ContactHistory LIMIT 5');
  assert(some.records.length === 5, `LIMIT 5 query returned ${some.records.length} records`);
  const identity = await conn.identity();
  assert(identity.username === sim.username, `identity() username ${identity.username}, expected ${sim.username}`);
  return `user ${userInfo.id} (${identity.username}); COUNT() FROM ContactHistory = ${count.totalSize}; ` +
    'LIMIT 5 query and identity() work';
}

async function checkQueryPaging(sim) {
  const conn = clientCredentialsConnection(sim);
  await conn.authorize({ grant_type: 'client_credentials' });
  const mark = responseEncodings.length;
  const { result, pages, seconds } = await fetchAll(conn, HISTORY_SOQL);
  assert(result.totalSize >= MIN_HISTORY_ROWS, `ContactHistory has ${result.totalSize} rows, the check needs >= ${MIN_HISTORY_ROWS}`);
  assert(result.records.length === result.totalSize, `records.length ${result.records.length} != totalSize ${result.totalSize}`);
  assert(idsUnique(result.records), 'duplicate Ids across pages');
  assert(pages > 3, `only ${pages} pages fetched`);
  assert(result.done === true, 'last page is not done');
  const bad = result.records.find((r) => !r.Id || !r.CreatedDate || !('Field' in r) || !r.attributes || r.attributes.type !== 'ContactHistory');
  assert(!bad, `malformed record ${JSON.stringify(bad)}`);

  // Smaller pages asked with Sforce-Query-Options, as jsforce users do through the headers option.
  const small = await fetchAll(conn, HISTORY_SOQL, { headers: { 'Sforce-Query-Options': 'batchSize=1000' } });
  assert(small.result.records.length === small.result.totalSize, 'batchSize=1000: records.length != totalSize');
  assert(small.pages >= Math.ceil(small.result.totalSize / 1000), `batchSize=1000: ${small.pages} pages for ${small.result.totalSize} rows`);
  assert(idsUnique(small.result.records), 'batchSize=1000: duplicate Ids across pages');

  // queryAll (jsforce 3: the scanAll option) must see the deleted history rows query hides.
  const global = await conn.describeGlobal();
  const historyObjects = global.sobjects
    .filter((o) => o.queryable && /History$/.test(o.name))
    .map((o) => o.name)
    .sort((a, b) => (a === 'ContactHistory' ? -1 : b === 'ContactHistory' ? 1 : a === 'AccountHistory' ? -1 : b === 'AccountHistory' ? 1 : a.localeCompare(b)));
  assert(historyObjects.includes('ContactHistory'), 'describeGlobal does not list ContactHistory');
  let deletedNote = null;
  for (const object of historyObjects) {
    const soql = `SELECT Id, IsDeleted FROM ${object}`;
    const live = object === 'ContactHistory' ? result : (await fetchAll(conn, soql)).result;
    const all = await fetchAll(conn, soql, { scanAll: true });
    assert(all.result.records.length === all.result.totalSize, `queryAll ${object}: records.length != totalSize`);
    assert(idsUnique(all.result.records), `queryAll ${object}: duplicate Ids`);
    if (all.result.totalSize > live.totalSize) {
      const allIds = new Set(all.result.records.map((r) => r.Id));
      assert(live.records.every((r) => allIds.has(r.Id)), `queryAll ${object}: a row of query is missing`);
      const deleted = all.result.records.filter((r) => r.IsDeleted === true).length;
      assert(deleted === all.result.totalSize - live.totalSize,
        `queryAll ${object}: ${deleted} rows with IsDeleted=true, but ${all.result.totalSize - live.totalSize} more rows than query`);
      deletedNote = `queryAll ${object} ${all.result.totalSize} rows > query ${live.totalSize} (${deleted} IsDeleted) in ${all.pages} pages`;
      break;
    }
  }
  assert(deletedNote !== null, `queryAll returned no more rows than query for any of ${historyObjects.join(', ')}`);
  const rate = Math.round(result.records.length / seconds);
  return `${result.totalSize} ContactHistory rows in ${pages} pages (${rate} rows/s through jsforce), Ids unique; ` +
    `batchSize=1000: ${small.pages} pages; ${deletedNote}; info: query responses ${encodingsSince(mark, /\/query/)}`;
}

async function checkLogFile(sim) {
  const conn = clientCredentialsConnection(sim);
  await conn.authorize({ grant_type: 'client_credentials' });
  const { result } = await fetchAll(conn, 'SELECT Id, EventType, LogDate, LogFileLength FROM EventLogFile');
  assert(result.records.length === result.totalSize && result.totalSize > 0, `EventLogFile query: ${result.records.length} of ${result.totalSize} rows`);
  const files = [...result.records].sort((a, b) => b.LogFileLength - a.LogFileLength);
  // The largest, the smallest and a few in between: with --gzip sometimes, jsforce gets some of
  // them gzip-encoded and some not.
  const picks = [];
  const wanted = Math.min(6, files.length);
  for (let i = 0; i < wanted; i++) {
    const f = files[Math.round((i * (files.length - 1)) / Math.max(1, wanted - 1))];
    if (!picks.includes(f)) picks.push(f);
  }
  let totalBytes = 0;
  let totalSeconds = 0;
  const mark = responseEncodings.length;
  for (const f of picks) {
    const started = process.hrtime.bigint();
    const stream = conn.sobject('EventLogFile').record(f.Id).blob('LogFile');
    const got = await streamDigest(stream);
    totalSeconds += Number(process.hrtime.bigint() - started) / 1e9;
    totalBytes += got.bytes;
    assert(got.bytes === f.LogFileLength, `${f.Id} (${f.EventType}): jsforce streamed ${got.bytes} bytes, LogFileLength ${f.LogFileLength}`);
    const raw = await rawDownload(sim, `${conn._baseUrl()}/sobjects/EventLogFile/${f.Id}/LogFile`, conn.accessToken);
    assert(raw.status === 200 && raw.bytes === f.LogFileLength, `${f.Id}: plain download status ${raw.status}, ${raw.bytes} bytes`);
    assert(raw.sha256 === got.sha256, `${f.Id}: jsforce's bytes differ from a plain (uncompressed) download`);
  }
  const largest = picks[0];
  const mbps = totalSeconds > 0 ? (totalBytes / 1e6 / totalSeconds).toFixed(1) : 'n/a';
  return `${result.totalSize} files listed; ${picks.length} downloaded with blob('LogFile'), ${totalBytes} bytes ` +
    `(largest ${largest.Id} ${largest.EventType} ${largest.LogFileLength} bytes), each == LogFileLength and ` +
    `sha256-identical to a plain download; ${mbps} MB/s; info: jsforce's LogFile responses ${encodingsSince(mark, /\/LogFile$/)}`;
}

async function bulk2Rows(conn, soql) {
  const mark = responseEncodings.length;
  const records = await conn.bulk2.query(soql);
  const ids = new Set();
  let rows = 0;
  let bad = null;
  for await (const r of records) {
    rows += 1;
    ids.add(r.Id);
    if (!bad && !(r.Id && r.CreatedDate && 'Field' in r)) bad = r;
  }
  const pages = responseEncodings.slice(mark).filter((e) => /\/jobs\/query\/[^/]+\/results/.test(e.path)).length;
  return { rows, unique: ids.size, bad, pages };
}

// Bulk API 2.0 through jsforce. Hard: a result of one page (jsforce asks no maxRecords, so a page
// is the simulator's default 50,000 rows). Info: the whole ContactHistory, two pages joined through
// Sforce-Locator, where jsforce 3 has a known race (jsforce/jsforce#1740, seen against real orgs
// too): it pipes page 2 into the CSV parser while page 1 is still being parsed, and csv-parse fails
// with "Invalid Closing Quote: got "I"" (the "Id" of page 2's header row).
async function checkBulk2(sim) {
  const conn = clientCredentialsConnection(sim);
  await conn.authorize({ grant_type: 'client_credentials' });
  const limit = 40000;
  const started = Date.now();
  const one = await bulk2Rows(conn, `${HISTORY_SOQL} LIMIT ${limit}`);
  assert(!one.bad, `malformed Bulk 2.0 row ${JSON.stringify(one.bad)}`);
  assert(one.rows === limit, `bulk2.query LIMIT ${limit} returned ${one.rows} rows`);
  assert(one.unique === one.rows, 'bulk2.query: duplicate Ids');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const count = await conn.query('SELECT COUNT() FROM ContactHistory');
  let info;
  try {
    const all = await bulk2Rows(conn, HISTORY_SOQL);
    info = all.rows === count.totalSize && all.unique === all.rows
      ? `whole ContactHistory: ${all.rows} rows == COUNT() in ${all.pages} results pages`
      : `whole ContactHistory: ${all.rows} rows (${all.unique} unique) in ${all.pages} pages, COUNT() ${count.totalSize}`;
  } catch (err) {
    info = `whole ContactHistory (${count.totalSize} rows, more than one results page): jsforce failed: ` +
      `${describeError(err)}${/Invalid Closing Quote/.test(err.message) ? ' (jsforce/jsforce#1740)' : ''}`;
  }
  return `conn.bulk2.query LIMIT ${limit}: ${one.rows} rows, Ids unique, ${one.pages} results page, ${seconds} s; info: ${info}`;
}

async function checkTokenExpiry(sim) {
  const notes = [];
  // (a) A connection holding a refresh token (as after the web-server or user-agent flow):
  // jsforce's refresh delegate gets a new access token on 401 and replays the request, in the
  // middle of a paged query.
  const refreshing = new Connection({
    oauth2: { clientId: sim.client_id, clientSecret: sim.client_secret, loginUrl: sim.login_url },
    instanceUrl: sim.instance_url,
    accessToken: sim.access_token,
    refreshToken: sim.refresh_token,
    version: sim.api_version,
  });
  let refreshes = 0;
  refreshing.on('refresh', () => {
    refreshes += 1;
  });
  const paged = await fetchAll(refreshing, 'SELECT Id FROM ContactHistory', {
    headers: { 'Sforce-Query-Options': 'batchSize=200' },
  });
  assert(paged.pages > 5, `only ${paged.pages} pages: too few to outlive a 5-call token`);
  assert(paged.result.records.length === paged.result.totalSize, `after refreshes: records.length ${paged.result.records.length} != totalSize ${paged.result.totalSize}`);
  assert(idsUnique(paged.result.records), 'after refreshes: duplicate Ids');
  assert(refreshes >= Math.floor((paged.pages - 1) / 5), `${refreshes} refreshes for ${paged.pages} calls with 5-call tokens`);
  notes.push(`refresh_token connection: re-authenticated ${refreshes}x transparently during a ${paged.pages}-page query, all ${paged.result.totalSize} rows`);

  // (b) A connection with only an access token: jsforce cannot refresh and surfaces the error.
  const issuer = clientCredentialsConnection(sim);
  await issuer.authorize({ grant_type: 'client_credentials' });
  const bare = new Connection({ instanceUrl: sim.instance_url, accessToken: issuer.accessToken, version: sim.api_version });
  let ok = 0;
  let failure = null;
  for (let i = 0; i < 8 && failure === null; i++) {
    try {
      await bare.limits();
      ok += 1;
    } catch (err) {
      failure = err;
    }
  }
  assert(failure !== null, 'a 5-call token worked for 8 calls');
  assert(ok === 5, `the token failed after ${ok} calls, expected 5`);
  assert(failure.errorCode === 'INVALID_SESSION_ID' || failure.name === 'INVALID_SESSION_ID',
    `access-token-only connection: expected INVALID_SESSION_ID, got ${describeError(failure)}`);
  notes.push(`access-token-only connection: call 6 surfaced ${failure.errorCode || failure.name}`);

  // (c) client_credentials without a refresh function: jsforce's default refresh needs a refresh
  // token, which client_credentials never returns. Informational.
  const cc = clientCredentialsConnection(sim);
  await cc.authorize({ grant_type: 'client_credentials' });
  let ccError = null;
  try {
    for (let i = 0; i < 8; i++) await cc.limits();
  } catch (err) {
    ccError = err;
  }
  notes.push(`info: client_credentials connection, default refresh: ${ccError ? describeError(ccError) : 'no error in 8 calls'}`);

  // (d) client_credentials with jsforce's documented refreshFn hook, which re-runs the grant.
  let ccRefreshes = 0;
  const ccr = new Connection({
    oauth2: { clientId: sim.client_id, clientSecret: sim.client_secret, loginUrl: sim.instance_url },
    version: sim.api_version,
    refreshFn: (conn, callback) => {
      conn.oauth2
        .requestToken({ grant_type: 'client_credentials' })
        .then((res) => {
          ccRefreshes += 1;
          callback(null, res.access_token, res);
        })
        .catch((err) => callback(err));
    },
  });
  await ccr.authorize({ grant_type: 'client_credentials' });
  for (let i = 0; i < 12; i++) await ccr.limits();
  assert(ccRefreshes >= 2, `client_credentials with refreshFn: ${ccRefreshes} refreshes in 12 calls with 5-call tokens`);
  notes.push(`client_credentials connection with refreshFn: re-authenticated ${ccRefreshes}x in 12 calls`);
  return notes.join('; ');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const main = readStartup('SIM_MAIN_JSON');
  const tokens = readStartup('SIM_TOKENS_JSON');
  console.log(`jsforce ${jsforce.VERSION} on node ${process.version}; custody-sim login ${main.login_url}, ` +
    `instance ${main.instance_url}, API v${main.api_version}; token-expiry sim ${tokens.instance_url} ` +
    `(--token-requests 5${tokens.ca_file ? ', TLS' : ''})`);
  const checks = [
    ['1 client_credentials login', () => checkClientCredentials(main)],
    ['2 JWT bearer login + query', () => checkJwtBearer(main)],
    ['3 autoFetch paging + queryAll', () => checkQueryPaging(main)],
    ['4 EventLogFile LogFile download', () => checkLogFile(main)],
    ['5 token expiry (--token-requests 5)', () => checkTokenExpiry(tokens)],
    ['6 Bulk API 2.0 query (extra)', () => checkBulk2(main)],
  ];
  let passed = 0;
  let failed = 0;
  for (const [name, run] of checks) {
    const started = Date.now();
    try {
      let timer;
      const detail = await Promise.race([
        run(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new CheckFailure(`did not finish within ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      passed += 1;
      console.log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s): ${detail}`);
    } catch (err) {
      failed += 1;
      console.log(`FAIL ${name} (${((Date.now() - started) / 1000).toFixed(1)} s): ${describeError(err)}`);
      if (!(err instanceof CheckFailure) && err && err.stack) console.log(err.stack.split('\n').slice(1, 6).join('\n'));
    }
  }
  console.log(`jsforce ${jsforce.VERSION}: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.on('unhandledRejection', (err) => {
  console.log(`FAIL unhandled rejection: ${describeError(err)}`);
  process.exit(1);
});
const timer = setTimeout(() => {
  console.log(`FAIL the check did not finish within ${GLOBAL_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, GLOBAL_TIMEOUT_MS);
timer.unref();

main().then(
  (code) => process.exit(code),
  (err) => {
    console.log(`FAIL ${describeError(err)}`);
    process.exit(1);
  },
);

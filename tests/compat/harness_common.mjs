// Shared pieces of the mastra_*_harness.mjs scripts (imported with a relative import).
//
// Importing this module routes every console method (and any direct process.stdout write)
// to stderr, so that stdout carries exactly the one JSON line each harness emits.
//
// Packages are loaded from $MASTRA_NPM_DIR/node_modules (default /tmp/mastra-npm).

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------
// Keep stdout clean: route every console method to stderr.
// ---------------------------------------------------------------------------
const realStdoutWrite = process.stdout.write.bind(process.stdout);
for (const m of ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir']) {
  console[m] = (...args) => process.stderr.write(util.format(...args) + '\n');
}
// Anything else writing to process.stdout directly is diverted too.
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);

function replacer(_key, value) {
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** Print `obj` as the harness's single JSON line on the real stdout (bigints as numbers). */
export function emit(obj) {
  realStdoutWrite(JSON.stringify(obj, replacer) + '\n');
}

// Dates -> ISO strings (JSON.stringify already does this via Date#toJSON,
// but invalid dates would become null; keep them visible instead).
export function normalize(value) {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? `Invalid Date` : value.toISOString();
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalize(v);
    return out;
  }
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** `id: message | cause: ... | cause: ...` (up to five causes). */
export function errText(e) {
  if (!e) return String(e);
  let msg = e.message || String(e);
  if (e.id) msg = `${e.id}: ${msg}`;
  let cause = e.cause;
  let depth = 0;
  while (cause && depth < 5) {
    msg += ` | cause: ${cause.message || String(cause)}`;
    cause = cause.cause;
    depth++;
  }
  return msg;
}

// ---------------------------------------------------------------------------
// Module loading from $MASTRA_NPM_DIR
// ---------------------------------------------------------------------------
export function npmDir() {
  return process.env.MASTRA_NPM_DIR || '/tmp/mastra-npm';
}

/** Import the ESM entry of the npm package `name` (e.g. '@mastra/libsql', 'mongodb'). */
export async function loadPackage(name) {
  const pkgDir = path.join(npmDir(), 'node_modules', ...name.split('/'));
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const entry = pkg.exports?.['.']?.import?.default || pkg.module || pkg.main;
  return { mod: await import(pathToFileURL(path.join(pkgDir, entry)).href), version: pkg.version };
}

export async function closeStore(store) {
  if (typeof store.close === 'function') await store.close();
}

/**
 * `makeStore()`'s store after a successful `init()`, trying up to five new stores.
 *
 * Mastra's libSQL init creates its tables concurrently; on a libSQL server (sqld) two of
 * those DDL streams can race and one fails with SQLITE_SCHEMA ("database schema has
 * changed"). That is Mastra's own race, seen under load, not a layout difference. Mastra
 * keeps the rejected init promise on the store, so a retry needs a new store. Any other
 * error is thrown at once.
 */
export async function initialisedStore(makeStore) {
  for (let attempt = 1; ; attempt++) {
    const store = await makeStore();
    try {
      await store.init();
      return store;
    } catch (err) {
      await closeStore(store).catch(() => {});
      if (attempt >= 5 || !errText(err).includes('SQLITE_SCHEMA')) throw err;
      console.error(`init attempt ${attempt} failed with SQLITE_SCHEMA; retrying with a new store`);
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** Comma separated ids; `fallback` when the argument is missing or empty. */
export function splitIds(arg, fallback) {
  return (arg === undefined || arg === '' ? fallback : arg).split(',').map((x) => x.trim()).filter(Boolean);
}

/**
 * Run `main`; on failure print {"error": ...} and exit 1.
 * exit: leave with process.exit() (false: set process.exitCode and let node finish, e.g. so that
 * @libsql/client can checkpoint its WAL). emitResult: print what `main` resolves to.
 */
export function runMain(main, { exit = true, emitResult = false } = {}) {
  const done = (code) => {
    if (exit) process.exit(code);
    process.exitCode = code;
  };
  main().then(
    (result) => {
      if (emitResult) emit(result);
      done(0);
    },
    (e) => {
      emit({ error: errText(e) });
      done(1);
    },
  );
}

// ---------------------------------------------------------------------------
// read sections
// ---------------------------------------------------------------------------
/** `fn()` as returned, or {error} when it throws. */
export async function rawSection(fn) {
  try {
    return await fn();
  } catch (e) {
    return { error: errText(e) };
  }
}

/** `fn()` normalized (Dates as ISO strings), or {error} when it throws. */
export async function section(fn) {
  try {
    return normalize(await fn());
  } catch (e) {
    return { error: errText(e) };
  }
}

// ---------------------------------------------------------------------------
// The write fixture
// ---------------------------------------------------------------------------
const T0 = '2024-05-01T10:00:00.000Z';

/**
 * Thread `threadId` of `resourceId` with three messages `${msgIdPrefix}-msg-1..3`
 * (with `type` when `messageType` is given).
 */
export async function saveFixtureConversation(
  memory,
  { threadId = 'ts-thread-1', resourceId = 'ts-resource', msgIdPrefix = 'ts', messageType } = {},
) {
  await memory.saveThread({
    thread: {
      id: threadId,
      resourceId,
      title: 'From TypeScript',
      metadata: { source: 'ts', nested: { a: [1, 2] } },
      createdAt: new Date(T0),
      updatedAt: new Date(T0),
    },
  });

  const texts = ['Hello from TS', 'Hi, I am the assistant', 'Thanks!'];
  const roles = ['user', 'assistant', 'user'];
  await memory.saveMessages({
    messages: texts.map((text, i) => ({
      id: `${msgIdPrefix}-msg-${i + 1}`,
      threadId,
      resourceId,
      role: roles[i],
      ...(messageType === undefined ? {} : { type: messageType }),
      createdAt: new Date(`2024-05-01T10:00:0${i + 1}.000Z`),
      content: { format: 2, parts: [{ type: 'text', text }], content: text },
    })),
  });
}

/** Resource `ts-resource` with working memory. */
export async function saveFixtureResource(memory) {
  await memory.saveResource({
    resource: {
      id: 'ts-resource',
      workingMemory: '# Notes',
      metadata: { k: 1 },
      createdAt: new Date(T0),
      updatedAt: new Date(T0),
    },
  });
}

/** A finished workflow snapshot for `runId`. */
export function fixtureSnapshot(runId) {
  return {
    status: 'success',
    context: { step1: { status: 'success', output: { x: 1 } } },
    runId,
    value: {},
    activePaths: [],
    timestamp: 1714557600000,
  };
}

/** The score every harness writes (`id` only when given). */
export function fixtureScore(id) {
  return {
    ...(id === undefined ? {} : { id }),
    scorerId: 'ts-scorer',
    entityId: 'ts-agent',
    entityType: 'AGENT',
    runId: 'ts-run',
    source: 'LIVE',
    score: 0.75,
    scorer: { id: 'ts-scorer', name: 'n' },
    entity: { id: 'ts-agent' },
    input: [{ a: 1 }],
    output: { text: 'o' },
  };
}

/**
 * The full fixture of the SQL / document stores (libsql, pg, mongodb): thread, three messages,
 * resource, workflow run `ts-wf`/`ts-run`, score `ts-score-1` and trace `ts-trace`.
 */
export async function writeFixture(store) {
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const scores = await store.getStore('scores');
  const observability = await store.getStore('observability');

  await saveFixtureConversation(memory);
  await saveFixtureResource(memory);

  await workflows.persistWorkflowSnapshot({
    workflowName: 'ts-wf',
    runId: 'ts-run',
    resourceId: 'ts-resource',
    snapshot: fixtureSnapshot('ts-run'),
    createdAt: new Date(T0),
    updatedAt: new Date(T0),
  });

  await scores.saveScore(fixtureScore('ts-score-1'));

  await observability.createSpan({
    span: {
      traceId: 'ts-trace',
      spanId: 'ts-span',
      name: 'agent run',
      spanType: 'agent_run',
      isEvent: false,
      startedAt: new Date(T0),
      endedAt: new Date('2024-05-01T10:00:05.000Z'),
      parentSpanId: null,
      input: 'hello',
    },
  });
}

// ---------------------------------------------------------------------------
// The full read (libsql, pg, mongodb)
// ---------------------------------------------------------------------------
/**
 * {threads, messages:{threadId:[...]}, resources:{id:...}, workflowRuns, scores:{scorerId:[...]},
 *  traces:[root spans], traceSpans:{traceId:[...]}}; a failing section becomes {error}.
 */
export async function readAll(store, resourceIds, scorerIds) {
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const scores = await store.getStore('scores');
  const observability = await store.getStore('observability');

  const out = {};

  let threadList = [];
  out.threads = await section(async () => {
    const res = await memory.listThreads({ perPage: false });
    threadList = res.threads;
    return res.threads;
  });

  out.messages = {};
  for (const t of threadList) {
    out.messages[t.id] = await section(async () => {
      const res = await memory.listMessages({
        threadId: t.id,
        perPage: false,
        orderBy: { field: 'createdAt', direction: 'ASC' },
      });
      return res.messages;
    });
  }

  out.resources = {};
  for (const rid of resourceIds) {
    out.resources[rid] = await section(() => memory.getResourceById({ resourceId: rid }));
  }

  out.workflowRuns = await section(() => workflows.listWorkflowRuns());

  out.scores = {};
  for (const sid of scorerIds) {
    out.scores[sid] = await section(async () => {
      const res = await scores.listScoresByScorerId({ scorerId: sid, pagination: { page: 0, perPage: false } });
      return res.scores;
    });
  }

  let traceIds = [];
  out.traces = await section(async () => {
    const res = await observability.listTraces({ pagination: { page: 0, perPage: 100 } });
    traceIds = res.spans.map((s) => s.traceId);
    return res.spans;
  });

  out.traceSpans = {};
  for (const tid of traceIds) {
    out.traceSpans[tid] = await section(async () => {
      const res = await observability.getTrace({ traceId: tid });
      return res ? res.spans : null;
    });
  }

  return out;
}

// ---------------------------------------------------------------------------
// Vector harnesses (libsql, pg)
// ---------------------------------------------------------------------------
/**
 * write: create `indexName` (dim 4, plus `createOptions`) and upsert ts-1..3 -> {ids};
 * read: {indexes, stats, all, filtered}. `openVector()` builds the vector store, `close(vector)`
 * releases it. A failure prints {"error": stack} and sets exit code 1.
 */
export async function runVectorHarness({ mode, indexName, openVector, createOptions = {}, close }) {
  try {
    const vector = await openVector();
    if (mode === 'write') {
      await vector.createIndex({ indexName, dimension: 4, ...createOptions });
      const ids = await vector.upsert({
        indexName,
        vectors: [[1, 0, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 1, 0]],
        metadata: [
          { message_id: 'ts-1', thread_id: 't1', resource_id: 'r1', tags: ['a', 'b'] },
          { message_id: 'ts-2', thread_id: 't1', resource_id: 'r1', n: 2 },
          { message_id: 'ts-3', thread_id: 't2', resource_id: 'r2' },
        ],
        ids: ['ts-1', 'ts-2', 'ts-3'],
      });
      emit({ ids });
    } else {
      const indexes = await vector.listIndexes();
      const stats = await vector.describeIndex({ indexName });
      const all = await vector.query({ indexName, queryVector: [1, 0, 0, 0], topK: 10, includeVector: true });
      const filtered = await vector.query({ indexName, queryVector: [1, 0, 0, 0], topK: 10, filter: { thread_id: 't1' } });
      emit({ indexes, stats, all, filtered });
    }
    await close(vector);
  } catch (e) {
    emit({ error: String(e && e.stack ? e.stack : e) });
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------------------
// Blobs (content-addressed skill files; @mastra/pg, @mastra/libsql, @mastra/mongodb)
// ---------------------------------------------------------------------------
/** SHA-256 hex of a string's UTF-8 bytes or of a Buffer (Mastra's `hashContent`). */
function sha256Hex(content) {
  return crypto.createHash('sha256').update(content).digest('hex');
}

/**
 * Through Mastra's blob store: a text blob (non-ASCII, so `size` counts bytes) put twice
 * (the second put, with another time, is a no-op), a binary blob (hash of the bytes, base64
 * content, as Mastra publishes binary skill files) and a JSON blob without a MIME type in one
 * `putMany`, and a blob put then deleted twice. Returns {hashes (all four, the deleted one
 * last), deleted: [first delete, second delete]}. `prefix` makes the contents distinct.
 */
export async function writeFixtureBlobs(blobs, prefix) {
  const at = new Date('2026-03-01T09:00:00.000Z');
  const text = `# ${prefix} skill\n\nUse the tool ✓`;
  const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0xfe]), Buffer.from(prefix)]);
  const json = JSON.stringify({ from: prefix, n: [1, 2] });
  const gone = `${prefix} temporary`;
  const textEntry = { hash: sha256Hex(text), content: text, size: Buffer.byteLength(text), mimeType: 'text/markdown' };
  await blobs.put({ ...textEntry, createdAt: at });
  await blobs.put({ ...textEntry, createdAt: new Date('2026-03-02T09:00:00.000Z') });
  await blobs.putMany([
    { hash: sha256Hex(bytes), content: bytes.toString('base64'), size: bytes.length, mimeType: 'image/png', createdAt: at },
    { hash: sha256Hex(json), content: json, size: Buffer.byteLength(json), createdAt: at },
  ]);
  await blobs.put({ hash: sha256Hex(gone), content: gone, size: Buffer.byteLength(gone), createdAt: at });
  const deleted = [await blobs.delete(sha256Hex(gone)), await blobs.delete(sha256Hex(gone))];
  return { hashes: [sha256Hex(text), sha256Hex(bytes), sha256Hex(json), sha256Hex(gone)], deleted };
}

/** Mastra's view of `hashes`: {get: {hash: blob|null}, has: {hash: bool}, many: [found hashes, sorted]}. */
export async function readBlobs(blobs, hashes) {
  const out = { get: {}, has: {}, many: [] };
  for (const h of hashes) {
    out.get[h] = normalize(await blobs.get(h));
    out.has[h] = await blobs.has(h);
  }
  out.many = [...(await blobs.getMany(hashes)).keys()].sort();
  return out;
}

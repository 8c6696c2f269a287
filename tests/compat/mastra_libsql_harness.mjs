#!/usr/bin/env node
// Cross-implementation compatibility harness for @mastra/libsql (TypeScript reference).
//
// Usage:
//   node mastra_libsql_harness.mjs write FILE
//   node mastra_libsql_harness.mjs read  FILE [RESOURCE_IDS] [SCORER_IDS] [--no-init]
//
//   RESOURCE_IDS / SCORER_IDS: comma separated (defaults: ts-resource / ts-scorer).
//   --no-init: do not call store.init() before reading (no DDL / ALTER / index creation).
//
// Packages are loaded from $MASTRA_NPM_DIR/node_modules (default /tmp/mastra-npm),
// i.e. `npm i @mastra/libsql@1.23.1 @mastra/core@1.71.0` in that directory.
//
// stdout carries exactly one JSON line; every log line from Mastra goes to stderr.

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

function emit(obj) {
  realStdoutWrite(JSON.stringify(obj, replacer) + '\n');
}

function replacer(_key, value) {
  if (typeof value === 'bigint') return Number(value);
  return value;
}

// Dates -> ISO strings (JSON.stringify already does this via Date#toJSON,
// but invalid dates would become null; keep them visible instead).
function normalize(value) {
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

function errText(e) {
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

async function loadLibSQL() {
  const base = process.env.MASTRA_NPM_DIR || '/tmp/mastra-npm';
  const pkgDir = path.join(base, 'node_modules', '@mastra', 'libsql');
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const entry = pkg.exports?.['.']?.import?.default || pkg.module || pkg.main;
  return { mod: await import(pathToFileURL(path.join(pkgDir, entry)).href), version: pkg.version };
}

// FILE may also be a libSQL server URL (sqld): then Mastra's own client speaks to it.
const isServerUrl = (f) => /^(libsql|https?|wss?):\/\//.test(f);

async function openStore(file, { init = true } = {}) {
  const { mod } = await loadLibSQL();
  const url = isServerUrl(file) ? file : 'file:' + file;
  const store = new mod.LibSQLStore({ id: 'compat', url });
  if (init) await initWithRetry(store);
  return store;
}

// Mastra's init() creates its tables concurrently; on a libSQL *server* two of those DDL
// streams can race and one fails with SQLITE_SCHEMA ("database schema has changed"). That is
// Mastra's own race (seen under load), not a layout difference, so the harness retries it.
async function initWithRetry(store, attempts = 4) {
  for (let i = 1; ; i++) {
    try {
      return await store.init();
    } catch (err) {
      if (i >= attempts || !String(err && err.message).includes('SQLITE_SCHEMA')) throw err;
      await new Promise((r) => setTimeout(r, 50 * i));
    }
  }
}

// ---------------------------------------------------------------------------
// write
// ---------------------------------------------------------------------------
async function doWrite(file) {
  const store = await openStore(file);
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const scores = await store.getStore('scores');
  const observability = await store.getStore('observability');

  await memory.saveThread({
    thread: {
      id: 'ts-thread-1',
      resourceId: 'ts-resource',
      title: 'From TypeScript',
      metadata: { source: 'ts', nested: { a: [1, 2] } },
      createdAt: new Date('2024-05-01T10:00:00.000Z'),
      updatedAt: new Date('2024-05-01T10:00:00.000Z'),
    },
  });

  const texts = ['Hello from TS', 'Hi, I am the assistant', 'Thanks!'];
  const roles = ['user', 'assistant', 'user'];
  await memory.saveMessages({
    messages: texts.map((text, i) => ({
      id: `ts-msg-${i + 1}`,
      threadId: 'ts-thread-1',
      resourceId: 'ts-resource',
      role: roles[i],
      createdAt: new Date(`2024-05-01T10:00:0${i + 1}.000Z`),
      content: { format: 2, parts: [{ type: 'text', text }], content: text },
    })),
  });

  await memory.saveResource({
    resource: {
      id: 'ts-resource',
      workingMemory: '# Notes',
      metadata: { k: 1 },
      createdAt: new Date('2024-05-01T10:00:00.000Z'),
      updatedAt: new Date('2024-05-01T10:00:00.000Z'),
    },
  });

  await workflows.persistWorkflowSnapshot({
    workflowName: 'ts-wf',
    runId: 'ts-run',
    resourceId: 'ts-resource',
    snapshot: {
      status: 'success',
      context: { step1: { status: 'success', output: { x: 1 } } },
      runId: 'ts-run',
      value: {},
      activePaths: [],
      timestamp: 1714557600000,
    },
    createdAt: new Date('2024-05-01T10:00:00.000Z'),
    updatedAt: new Date('2024-05-01T10:00:00.000Z'),
  });

  await scores.saveScore({
    id: 'ts-score-1',
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
  });

  await observability.createSpan({
    span: {
      traceId: 'ts-trace',
      spanId: 'ts-span',
      name: 'agent run',
      spanType: 'agent_run',
      isEvent: false,
      startedAt: new Date('2024-05-01T10:00:00.000Z'),
      endedAt: new Date('2024-05-01T10:00:05.000Z'),
      parentSpanId: null,
      input: 'hello',
    },
  });

  if (typeof store.close === 'function') await store.close();
  emit({ ok: true });
}

// ---------------------------------------------------------------------------
// read
// ---------------------------------------------------------------------------
async function section(fn) {
  try {
    return normalize(await fn());
  } catch (e) {
    return { error: errText(e) };
  }
}

async function doRead(file, resourceIds, scorerIds, init) {
  const store = await openStore(file, { init });
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

  if (typeof store.close === 'function') await store.close();
  emit(out);
}

// ---------------------------------------------------------------------------
async function main() {
  const argv = process.argv.slice(2);
  const noInit = argv.includes('--no-init');
  const args = argv.filter((a) => a !== '--no-init');
  const [cmd, file, resourceArg, scorerArg] = args;
  if (!cmd || !file || !['write', 'read'].includes(cmd)) {
    throw new Error('usage: mastra_libsql_harness.mjs write|read FILE [RESOURCE_IDS] [SCORER_IDS] [--no-init]');
  }
  const absFile = isServerUrl(file) ? file : path.resolve(file);
  if (cmd === 'write') return doWrite(absFile);
  const split = (s, d) => (s === undefined || s === '' ? d : s).split(',').map((x) => x.trim()).filter(Boolean);
  return doRead(absFile, split(resourceArg, 'ts-resource'), split(scorerArg, 'ts-scorer'), !noInit);
}

// Exit naturally on success (no process.exit): @libsql/client only checkpoints the
// WAL into the main file when its connections are finalised, which an abrupt
// process.exit() skips (the data then lives only in FILE-wal).
main().then(
  () => {
    process.exitCode = 0;
  },
  (e) => {
    emit({ error: errText(e) });
    process.exitCode = 1;
  },
);

#!/usr/bin/env node
// Cross-implementation compatibility harness for @mastra/pg (TypeScript reference).
//
// Usage:
//   node mastra_pg_harness.mjs write URL SCHEMA
//   node mastra_pg_harness.mjs read  URL SCHEMA [RESOURCE_IDS] [SCORER_IDS] [--no-init]
//
//   node mastra_pg_harness.mjs write-read URL SCHEMA        (write, then read without init)
//   node mastra_pg_harness.mjs read-twice URL SCHEMA [RESOURCE_IDS] [SCORER_IDS]
//                                      (read without init, then init and read: {noInit, init})
//
//   URL: a postgresql:// connection string; SCHEMA: the schemaName both sides use.
//   The combined commands save a node start-up (seconds on a busy machine) per call.
//
//   RESOURCE_IDS / SCORER_IDS: comma separated (defaults: ts-resource / ts-scorer).
//   --no-init: do not call store.init() before reading (no DDL / ALTER / index creation).
//
// Packages are loaded from $MASTRA_NPM_DIR/node_modules (default /tmp/mastra-npm),
// i.e. `npm i @mastra/pg@1.27.1 @mastra/core@1.71.0` in that directory.
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

async function loadPg() {
  const base = process.env.MASTRA_NPM_DIR || '/tmp/mastra-npm';
  const pkgDir = path.join(base, 'node_modules', '@mastra', 'pg');
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const entry = pkg.exports?.['.']?.import?.default || pkg.module || pkg.main;
  return { mod: await import(pathToFileURL(path.join(pkgDir, entry)).href), version: pkg.version };
}

async function openStore(target, { init = true } = {}) {
  const { mod } = await loadPg();
  const store = new mod.PostgresStore({
    id: 'compat',
    connectionString: target.url,
    schemaName: target.schema,
  });
  if (init) await store.init();
  return store;
}

// ---------------------------------------------------------------------------
// write
// ---------------------------------------------------------------------------
async function doWrite(target) {
  const store = await openStore(target);
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
  return { ok: true };
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

async function doRead(target, resourceIds, scorerIds, init) {
  const store = await openStore(target, { init });
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
  return out;
}

// ---------------------------------------------------------------------------
async function main() {
  const argv = process.argv.slice(2);
  const noInit = argv.includes('--no-init');
  const args = argv.filter((a) => a !== '--no-init');
  const [cmd, url, schema, resourceArg, scorerArg] = args;
  const commands = ['write', 'read', 'write-read', 'read-twice'];
  if (!cmd || !url || !schema || !commands.includes(cmd)) {
    throw new Error(`usage: mastra_pg_harness.mjs ${commands.join('|')} URL SCHEMA [RESOURCE_IDS] [SCORER_IDS] [--no-init]`);
  }
  const target = { url, schema };
  const split = (s, d) => (s === undefined || s === '' ? d : s).split(',').map((x) => x.trim()).filter(Boolean);
  const resources = split(resourceArg, 'ts-resource');
  const scorers = split(scorerArg, 'ts-scorer');
  if (cmd === 'write') return emit(await doWrite(target));
  if (cmd === 'write-read') {
    await doWrite(target);
    return emit(await doRead(target, resources, scorers, false));
  }
  if (cmd === 'read-twice') {
    const first = await doRead(target, resources, scorers, false);
    const second = await doRead(target, resources, scorers, true);
    return emit({ noInit: first, init: second });
  }
  return emit(await doRead(target, resources, scorers, !noInit));
}

main().then(
  () => {
    process.exit(0);
  },
  (e) => {
    emit({ error: errText(e) });
    process.exit(1);
  },
);

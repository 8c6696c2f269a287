#!/usr/bin/env node
// Cross-implementation compatibility harness for @mastra/upstash (TypeScript reference).
//
// Usage (UPSTASH_URL / UPSTASH_TOKEN point at the test's REST shim over a real Redis):
//   node mastra_upstash_harness.mjs write
//   node mastra_upstash_harness.mjs read RESOURCE_ID WORKFLOWS SCORER_ID
//        WORKFLOWS: comma separated workflowName/runId pairs
//   node mastra_upstash_harness.mjs op append THREAD_ID RESOURCE_ID N   (save a user+assistant turn)
//   node mastra_upstash_harness.mjs op recall THREAD_ID                 (newest 40 messages)
//   node mastra_upstash_harness.mjs op list-threads RESOURCE_ID         (first 20 threads)
//   node mastra_upstash_harness.mjs costs THREAD_ID RESOURCE_ID
//        the three ops above, each between two POST $UPSTASH_URL/__count calls (a hook of
//        the test's REST shim that returns and resets its command counter)
//
// Packages are loaded from $MASTRA_NPM_DIR/node_modules
// (`npm i @mastra/upstash@1.3.1 @mastra/core@1.71.0`).
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

async function openStore() {
  const base = process.env.MASTRA_NPM_DIR || '/tmp/mastra-npm';
  const pkgDir = path.join(base, 'node_modules', '@mastra', 'upstash');
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const entry = pkg.exports?.['.']?.import?.default || pkg.module || pkg.main;
  const mod = await import(pathToFileURL(path.join(pkgDir, entry)).href);
  return new mod.UpstashStore({ id: 'compat', url: process.env.UPSTASH_URL, token: process.env.UPSTASH_TOKEN });
}

async function section(fn) {
  try {
    return normalize(await fn());
  } catch (e) {
    return { error: errText(e) };
  }
}

async function doWrite() {
  const store = await openStore();
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const scores = await store.getStore('scores');

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
      type: 'v2',
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
  const snapshot = (runId) => ({
    status: 'success',
    context: { step1: { status: 'success', output: { x: 1 } } },
    runId,
    value: {},
    activePaths: [],
    timestamp: 1714557600000,
  });
  await workflows.persistWorkflowSnapshot({
    workflowName: 'ts-wf',
    runId: 'ts-run',
    snapshot: snapshot('ts-run'),
    createdAt: new Date('2024-05-01T10:00:00.000Z'),
    updatedAt: new Date('2024-05-01T10:00:00.000Z'),
  });
  await workflows.persistWorkflowSnapshot({
    workflowName: 'ts-wf',
    runId: 'ts-run-res',
    resourceId: 'ts-resource',
    snapshot: snapshot('ts-run-res'),
    createdAt: new Date('2024-05-01T11:00:00.000Z'),
    updatedAt: new Date('2024-05-01T11:00:00.000Z'),
  });
  const saved = await scores.saveScore({
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
  emit({ ok: true, scoreId: saved.score.id });
}

async function doRead(resourceId, workflowArg, scorerId) {
  const store = await openStore();
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const scores = await store.getStore('scores');
  const out = {};
  let threadList = [];
  out.threads = await section(async () => {
    const res = await memory.listThreads({ filter: { resourceId }, perPage: false });
    threadList = res.threads;
    return res.threads;
  });
  out.messages = {};
  out.messagesById = {};
  for (const t of threadList) {
    let ids = [];
    out.messages[t.id] = await section(async () => {
      const res = await memory.listMessages({
        threadId: t.id,
        perPage: false,
        orderBy: { field: 'createdAt', direction: 'ASC' },
      });
      ids = res.messages.map((m) => m.id);
      return res.messages;
    });
    out.messagesById[t.id] = await section(async () => {
      const res = await memory.listMessagesById({ messageIds: ids });
      return res.messages.map((m) => m.id);
    });
  }
  out.resource = await section(() => memory.getResourceById({ resourceId }));
  out.snapshots = {};
  out.runs = {};
  for (const pair of workflowArg.split(',').filter(Boolean)) {
    const [workflowName, runId] = pair.split('/');
    out.snapshots[pair] = await section(() => workflows.loadWorkflowSnapshot({ workflowName, runId }));
    out.runs[pair] = await section(() => workflows.getWorkflowRunById({ workflowName, runId }));
  }
  out.scores = await section(async () => {
    const res = await scores.listScoresByScorerId({ scorerId, pagination: { page: 0, perPage: 100 } });
    return res.scores;
  });
  emit(out);
}

async function shimCount() {
  const res = await fetch(`${process.env.UPSTASH_URL}/__count`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${process.env.UPSTASH_TOKEN}` },
    body: '[]',
  });
  return (await res.json()).count;
}

async function doCosts(threadId, resourceId) {
  const store = await openStore();
  const memory = await store.getStore('memory');
  const out = {};
  const ops = [
    ['append-turn', () => runOp(memory, 'append', [threadId, resourceId, '1'])],
    ['recall-last-40', () => runOp(memory, 'recall', [threadId])],
    ['list-threads', () => runOp(memory, 'list-threads', [resourceId])],
  ];
  for (const [name, op] of ops) {
    await shimCount();
    const result = await op();
    out[name] = { commands: await shimCount(), result };
  }
  emit(out);
}

async function doOp(name, args) {
  const store = await openStore();
  const memory = await store.getStore('memory');
  return emit(await runOp(memory, name, args));
}

async function runOp(memory, name, args) {
  if (name === 'append') {
    const [threadId, resourceId, n] = args;
    const base = Date.parse('2025-01-01T00:00:00.000Z') + Number(n) * 1000;
    const message = (i, role) => ({
      id: `${threadId}-turn-${n}-${i}`,
      threadId,
      resourceId,
      role,
      type: 'v2',
      createdAt: new Date(base + i),
      content: { format: 2, parts: [{ type: 'text', text: `turn ${n} ${role}` }] },
    });
    await memory.saveMessages({ messages: [message(0, 'user'), message(1, 'assistant')] });
    return { ok: true };
  }
  if (name === 'recall') {
    const res = await memory.listMessages({
      threadId: args[0],
      perPage: 40,
      orderBy: { field: 'createdAt', direction: 'DESC' },
    });
    return { ids: res.messages.map((m) => m.id), total: res.total };
  }
  if (name === 'list-threads') {
    const res = await memory.listThreads({ filter: { resourceId: args[0] }, perPage: 20 });
    return { ids: res.threads.map((t) => t.id), total: res.total };
  }
  throw new Error(`unknown op ${name}`);
}

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === 'write') return doWrite();
  if (cmd === 'read') return doRead(args[0], args[1] || '', args[2]);
  if (cmd === 'op') return doOp(args[0], args.slice(1));
  if (cmd === 'costs') return doCosts(args[0], args[1]);
  throw new Error('usage: mastra_upstash_harness.mjs write | read RESOURCE WORKFLOWS SCORER | op NAME ...');
}

main().catch((e) => {
  emit({ error: errText(e) });
  process.exitCode = 1;
});

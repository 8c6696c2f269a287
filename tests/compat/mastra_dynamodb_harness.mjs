#!/usr/bin/env node
// Cross-implementation compatibility harness for @mastra/dynamodb (TypeScript reference).
//
// Usage:
//   node mastra_dynamodb_harness.mjs write TABLE PREFIX
//   node mastra_dynamodb_harness.mjs read  TABLE RESOURCE_ID WORKFLOW_NAME
//
//   write: through Mastra, a thread `${PREFIX}-thread` (resource `${PREFIX}-resource`),
//          three messages `${PREFIX}-msg-1..3` and a workflow snapshot
//          (`${PREFIX}-wf` / `${PREFIX}-run`)  -> {"ok": true}
//   read:  what Mastra sees: {threads, messages: {threadId: [...]}, runs, snapshots: {runId: ...}}
//
// Env: DYNAMODB_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
// Packages are loaded from $MASTRA_NPM_DIR/node_modules (@mastra/dynamodb@1.0.0, @mastra/core@1.71.0).
// stdout carries exactly one JSON line; every log line goes to stderr.

import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { pathToFileURL } from 'node:url';

const realStdoutWrite = process.stdout.write.bind(process.stdout);
for (const m of ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir']) {
  console[m] = (...args) => process.stderr.write(util.format(...args) + '\n');
}
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);

function emit(obj) {
  realStdoutWrite(JSON.stringify(normalize(obj)) + '\n');
}

function normalize(value) {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalize(v);
    return out;
  }
  return value;
}

function errText(e) {
  let msg = (e && e.message) || String(e);
  if (e && e.id) msg = `${e.id}: ${msg}`;
  let cause = e && e.cause;
  for (let depth = 0; cause && depth < 5; depth++) {
    msg += ` | cause: ${cause.message || String(cause)}`;
    cause = cause.cause;
  }
  return msg;
}

async function openStore(tableName) {
  const base = process.env.MASTRA_NPM_DIR || '/tmp/mastra-npm';
  const pkgDir = path.join(base, 'node_modules', '@mastra', 'dynamodb');
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const entry = pkg.exports?.['.']?.import?.default || pkg.module || pkg.main;
  const mod = await import(pathToFileURL(path.join(pkgDir, entry)).href);
  const store = new mod.DynamoDBStore({
    name: 'compat',
    config: {
      id: 'compat',
      tableName,
      region: process.env.AWS_REGION || 'us-east-1',
      endpoint: process.env.DYNAMODB_ENDPOINT,
      credentials: {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'testing',
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'testing',
      },
    },
  });
  await store.init();
  return store;
}

async function doWrite(tableName, prefix) {
  const store = await openStore(tableName);
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const resourceId = `${prefix}-resource`;
  const threadId = `${prefix}-thread`;
  await memory.saveThread({
    thread: {
      id: threadId,
      resourceId,
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
      id: `${prefix}-msg-${i + 1}`,
      threadId,
      resourceId,
      role: roles[i],
      type: 'v2',
      createdAt: new Date(`2024-05-01T10:00:0${i + 1}.000Z`),
      content: { format: 2, parts: [{ type: 'text', text }], content: text },
    })),
  });
  await workflows.persistWorkflowSnapshot({
    workflowName: `${prefix}-wf`,
    runId: `${prefix}-run`,
    resourceId,
    snapshot: {
      status: 'success',
      context: { step1: { status: 'success', output: { x: 1 } } },
      runId: `${prefix}-run`,
      value: {},
      activePaths: [],
      suspendedPaths: {},
      serializedStepGraph: [],
      timestamp: 1714557600000,
    },
    createdAt: new Date('2024-05-01T10:00:00.000Z'),
    updatedAt: new Date('2024-05-01T10:00:05.000Z'),
  });
  await store.close();
  return { ok: true };
}

async function section(fn) {
  try {
    return await fn();
  } catch (e) {
    return { error: errText(e) };
  }
}

async function doRead(tableName, resourceId, workflowName) {
  const store = await openStore(tableName);
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const out = {};
  const listed = await section(() =>
    memory.listThreads({ filter: { resourceId }, perPage: false, orderBy: { field: 'createdAt', direction: 'ASC' } }),
  );
  out.threads = listed.error ? listed : listed.threads;
  out.messages = {};
  for (const thread of Array.isArray(out.threads) ? out.threads : []) {
    const byId = await section(() => memory.getThreadById({ threadId: thread.id }));
    if (!byId || byId.error) out.threads.push({ missingById: thread.id });
    const page = await section(() => memory.listMessages({ threadId: thread.id, perPage: false }));
    out.messages[thread.id] = page.error ? page : page.messages;
  }
  const runs = await section(() => workflows.listWorkflowRuns({ workflowName }));
  out.runs = runs.error ? runs : runs.runs;
  out.snapshots = {};
  for (const run of Array.isArray(out.runs) ? out.runs : []) {
    out.snapshots[run.runId] = await section(() =>
      workflows.loadWorkflowSnapshot({ workflowName, runId: run.runId }),
    );
  }
  await store.close();
  return out;
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'write') return doWrite(args[0], args[1]);
  if (command === 'read') return doRead(args[0], args[1], args[2]);
  throw new Error(`unknown command ${command}; use write or read`);
}

main().then(
  (result) => {
    emit(result);
    process.exit(0);
  },
  (e) => {
    emit({ error: errText(e) });
    process.exit(1);
  },
);

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
//   node mastra_upstash_harness.mjs layout-write PREFIX   (the layout dataset, ids PREFIX-*)
//   node mastra_upstash_harness.mjs layout-change PREFIX  (update, clone, move; clone's texts)
//   node mastra_upstash_harness.mjs layout-read-clone PREFIX   (the clone's texts, Mastra's order)
//   node mastra_upstash_harness.mjs layout-read PREFIXES SCORE_IDS   (Mastra's reads of it)
//   node mastra_upstash_harness.mjs snapshot-write|snapshot-read PREFIX  (empty arrays in a run)
//   node mastra_upstash_harness.mjs live-write PREFIX N   (a Python store is open: thread
//        PREFIX-tN of resource PREFIX-res, runs PREFIX-wf/PREFIX-rN (with that resource) and
//        PREFIX-wf/PREFIX-pN (none), a score of scorer PREFIX-scorer; prints the score id)
//   node mastra_upstash_harness.mjs costs THREAD_ID RESOURCE_ID
//        the three ops above, each between two POST $UPSTASH_URL/__count calls (a hook of
//        the test's REST shim that returns and resets its command counter)
//
// Packages are loaded from $MASTRA_NPM_DIR/node_modules
// (`npm i @mastra/upstash@1.3.1 @mastra/core@1.71.0`).
// stdout carries exactly one JSON line; every log line from Mastra goes to stderr.

import {
  emit,
  fixtureScore,
  fixtureSnapshot,
  loadPackage,
  runMain,
  saveFixtureConversation,
  saveFixtureResource,
  section,
  splitIds,
} from './harness_common.mjs';

async function openStore() {
  const { mod } = await loadPackage('@mastra/upstash');
  return new mod.UpstashStore({ id: 'compat', url: process.env.UPSTASH_URL, token: process.env.UPSTASH_TOKEN });
}

async function doWrite() {
  const store = await openStore();
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const scores = await store.getStore('scores');

  await saveFixtureConversation(memory, { messageType: 'v2' });
  await saveFixtureResource(memory);
  await workflows.persistWorkflowSnapshot({
    workflowName: 'ts-wf',
    runId: 'ts-run',
    snapshot: fixtureSnapshot('ts-run'),
    createdAt: new Date('2024-05-01T10:00:00.000Z'),
    updatedAt: new Date('2024-05-01T10:00:00.000Z'),
  });
  await workflows.persistWorkflowSnapshot({
    workflowName: 'ts-wf',
    runId: 'ts-run-res',
    resourceId: 'ts-resource',
    snapshot: fixtureSnapshot('ts-run-res'),
    createdAt: new Date('2024-05-01T11:00:00.000Z'),
    updatedAt: new Date('2024-05-01T11:00:00.000Z'),
  });
  const saved = await scores.saveScore(fixtureScore());
  emit({ ok: true, scoreId: saved.score.id });
}

// One more of each listed record kind, written while a Python store is open.
async function doLiveWrite(p, n) {
  const store = await openStore();
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const scores = await store.getStore('scores');
  const at = new Date(Date.parse('2025-03-01T00:00:00.000Z') + Number(n) * 60000);
  await memory.saveThread({
    thread: { id: `${p}-t${n}`, resourceId: `${p}-res`, title: `live ${n}`, createdAt: at, updatedAt: at, metadata: {} },
  });
  for (const [runId, resourceId] of [[`${p}-r${n}`, `${p}-res`], [`${p}-p${n}`, undefined]]) {
    await workflows.persistWorkflowSnapshot({
      workflowName: `${p}-wf`,
      runId,
      ...(resourceId ? { resourceId } : {}),
      snapshot: fixtureSnapshot(runId),
      createdAt: at,
      updatedAt: at,
    });
  }
  const saved = await scores.saveScore({ ...fixtureScore(), scorerId: `${p}-scorer`, runId: `${p}-r${n}` });
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

// The layout dataset: the records both apps write under their own id prefix (`ts`/`py`)
// so a test can compare the stored values key by key. Unset optional fields are left out,
// message timestamps are equal (order then comes from Mastra's own structures only).
const LAYOUT_T0 = '2024-07-01T09:00:00.000Z';
const LAYOUT_T1 = '2024-07-01T09:00:05.000Z';

async function doLayoutWrite(p) {
  const store = await openStore();
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const scores = await store.getStore('scores');
  await memory.saveThread({
    thread: {
      id: `${p}-eq`,
      resourceId: `${p}-res`,
      title: 'Equal times',
      createdAt: new Date(LAYOUT_T0),
      updatedAt: new Date(LAYOUT_T0),
    },
  });
  const message = (id, extra = {}) => ({
    id: `${p}-${id}`,
    threadId: `${p}-eq`,
    resourceId: `${p}-res`,
    role: 'user',
    createdAt: new Date(LAYOUT_T1),
    content: { format: 2, parts: [{ type: 'text', text: id }] },
    ...extra,
  });
  // One batch whose ids are out of lexical order, then a single save at the same time.
  await memory.saveMessages({ messages: [message('b'), message('a'), message('c', { type: 'v3' })] });
  await memory.saveMessages({ messages: [message('0')] });
  await memory.saveResource({
    resource: { id: `${p}-res`, createdAt: new Date(LAYOUT_T0), updatedAt: new Date(LAYOUT_T0) },
  });
  await workflows.persistWorkflowSnapshot({
    workflowName: `${p}-wf`,
    runId: `${p}-run`,
    snapshot: { status: 'running', context: {}, runId: `${p}-run`, value: {} },
    createdAt: new Date(LAYOUT_T0),
    updatedAt: new Date(LAYOUT_T0),
  });
  const saved = await scores.saveScore({
    id: `${p}-score`,
    scorerId: `${p}-scorer`,
    entityId: `${p}-agent`,
    runId: `${p}-run`,
    source: 'LIVE',
    score: 1,
    scorer: { id: `${p}-scorer` },
    entity: { id: `${p}-agent` },
    input: 'hello',
    output: '123',
  });
  emit({ ok: true, scoreId: saved.score.id });
}

// Changes to the layout dataset: an update in place, a clone, a move to another thread.
// Emits the clone's messages as Mastra's listMessages returns them.
async function doLayoutChange(p) {
  const store = await openStore();
  const memory = await store.getStore('memory');
  await memory.updateMessages({
    messages: [{ id: `${p}-a`, content: { parts: [{ type: 'text', text: 'a2' }] } }],
  });
  await memory.cloneThread({ sourceThreadId: `${p}-eq`, newThreadId: `${p}-clone` });
  await memory.saveThread({
    thread: {
      id: `${p}-eq2`,
      resourceId: `${p}-res`,
      title: 'Moved to',
      createdAt: new Date(LAYOUT_T0),
      updatedAt: new Date(LAYOUT_T0),
    },
  });
  await memory.updateMessages({ messages: [{ id: `${p}-b`, threadId: `${p}-eq2` }] });
  emit({ clone: await cloneTexts(memory, p) });
}

// The texts of the clone's messages in the order Mastra's listMessages returns them.
async function cloneTexts(memory, p) {
  const clone = await memory.listMessages({
    threadId: `${p}-clone`,
    perPage: false,
    orderBy: { field: 'createdAt', direction: 'ASC' },
  });
  return clone.messages.map((m) => m.content.parts[0].text);
}

async function doLayoutReadClone(p) {
  const store = await openStore();
  emit({ clone: await cloneTexts(await store.getStore('memory'), p) });
}

// A snapshot with empty arrays and a 16-digit integer (Mastra's persist goes through Lua's
// cjson); `snapshot-read` prints Mastra's load of it.
const ARRAY_SNAPSHOT = { status: 'running', activePaths: [], context: { s: { payload: [] } }, n: 1234567890123456 };

async function doSnapshot(mode, p) {
  const store = await openStore();
  const workflows = await store.getStore('workflows');
  if (mode === 'write') {
    await workflows.persistWorkflowSnapshot({
      workflowName: `${p}-wf`,
      runId: `${p}-arrays`,
      snapshot: ARRAY_SNAPSHOT,
    });
    return emit({ ok: true });
  }
  emit({ snapshot: await section(() => workflows.loadWorkflowSnapshot({ workflowName: `${p}-wf`, runId: `${p}-arrays` })) });
}

// Mastra's own reads of the layout dataset of each prefix.
async function doLayoutRead(prefixes, scoreIds) {
  const store = await openStore();
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const scores = await store.getStore('scores');
  const out = {};
  for (const [i, p] of prefixes.entries()) {
    const entry = {};
    entry.thread = await section(() => memory.getThreadById({ threadId: `${p}-eq` }));
    entry.messages = await section(async () => {
      const res = await memory.listMessages({
        threadId: `${p}-eq`,
        perPage: false,
        orderBy: { field: 'createdAt', direction: 'ASC' },
      });
      return res.messages;
    });
    entry.window = await section(async () => {
      const res = await memory.listMessages({
        threadId: `${p}-eq`,
        perPage: 0,
        include: [{ id: `${p}-a`, withPreviousMessages: 1, withNextMessages: 1 }],
      });
      return res.messages.map((m) => m.id);
    });
    entry.resource = await section(() => memory.getResourceById({ resourceId: `${p}-res` }));
    entry.run = await section(() =>
      workflows.getWorkflowRunById({ workflowName: `${p}-wf`, runId: `${p}-run` }),
    );
    entry.score = await section(() => scores.getScoreById({ id: scoreIds[i] }));
    out[p] = entry;
  }
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
  if (cmd === 'layout-write') return doLayoutWrite(args[0]);
  if (cmd === 'layout-change') return doLayoutChange(args[0]);
  if (cmd === 'snapshot-write') return doSnapshot('write', args[0]);
  if (cmd === 'snapshot-read') return doSnapshot('read', args[0]);
  if (cmd === 'layout-read-clone') return doLayoutReadClone(args[0]);
  if (cmd === 'layout-read') return doLayoutRead(splitIds(args[0], ''), splitIds(args[1], ''));
  if (cmd === 'costs') return doCosts(args[0], args[1]);
  if (cmd === 'live-write') return doLiveWrite(args[0], args[1]);
  throw new Error('usage: mastra_upstash_harness.mjs write | read RESOURCE WORKFLOWS SCORER | op NAME ...');
}

runMain(main, { exit: false });

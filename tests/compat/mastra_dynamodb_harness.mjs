#!/usr/bin/env node
// Cross-implementation compatibility harness for @mastra/dynamodb (TypeScript reference).
//
// Usage:
//   node mastra_dynamodb_harness.mjs write TABLE PREFIX
//   node mastra_dynamodb_harness.mjs read  TABLE RESOURCE_ID WORKFLOW_NAME [SCORER_ID [RESOURCE_IDS]]
//
//   write: through Mastra, a thread `${PREFIX}-thread` (resource `${PREFIX}-resource`),
//          three messages `${PREFIX}-msg-1..3` and a workflow snapshot
//          (`${PREFIX}-wf` / `${PREFIX}-run`), plus the edge-case dataset: a thread
//          `${PREFIX}-bare` without metadata whose messages have no `type` (two of them with
//          one createdAt), resources `${PREFIX}-resource` (full) and `${PREFIX}-bare` (id only),
//          a run `${PREFIX}-run-2` without resourceId (empty arrays, createdAt == updatedAt)
//          and scores of scorer `${PREFIX}-scorer` with supplied ids and string, number-like,
//          JSON-looking and object inputs/outputs (runId `${PREFIX}-<label>`)
//          -> {"ok": true, "scoreIds": {label: id Mastra returned}, "absentInput": error or id}
//   read:  what Mastra sees: {threads, messages: {threadId: [...]}, runs, snapshots: {runId: ...},
//          resources: {id: ...}, scores: [...], scoresById: {id: ...}}
//
// Env: DYNAMODB_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
// Packages are loaded from $MASTRA_NPM_DIR/node_modules (@mastra/dynamodb@1.0.0, @mastra/core@1.71.0).
// stdout carries exactly one JSON line; every log line goes to stderr.

import { loadPackage, normalize, rawSection as section, runMain, saveFixtureConversation } from './harness_common.mjs';

async function openStore(tableName) {
  const { mod } = await loadPackage('@mastra/dynamodb');
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
  await saveFixtureConversation(memory, { threadId: `${prefix}-thread`, resourceId, msgIdPrefix: prefix, messageType: 'v2' });
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
  const scores = await store.getStore('scores');
  const bare = `${prefix}-bare`;
  await memory.saveThread({
    thread: { id: bare, resourceId, title: 'Bare', createdAt: new Date(T1), updatedAt: new Date(T1) },
  });
  await memory.saveMessages({
    messages: [
      ['b', 'first written'],
      ['a', 'second written'],
      ['c', 'later'],
    ].map(([suffix, text], i) => ({
      id: `${prefix}-eq-${suffix}`,
      threadId: bare,
      resourceId,
      role: 'user',
      createdAt: new Date(i < 2 ? T1 : T2),
      content: { format: 2, parts: [{ type: 'text', text }], content: text },
    })),
  });
  await memory.saveResource({
    resource: { id: resourceId, workingMemory: '# Notes', metadata: { k: [1, {}] }, createdAt: new Date(T1) },
  });
  await memory.saveResource({ resource: { id: bare, createdAt: new Date(T1) } });
  await workflows.persistWorkflowSnapshot({
    workflowName: `${prefix}-wf`,
    runId: `${prefix}-run-2`,
    snapshot: { status: 'running', context: {}, activePaths: [], value: { list: [] }, runId: `${prefix}-run-2` },
    createdAt: new Date(T1),
    updatedAt: new Date(T1),
  });
  const scoreIds = {};
  for (const [label, input, output] of SCORE_VALUES) {
    const { score } = await scores.saveScore(fixtureScoreOf(prefix, label, input, output));
    scoreIds[label] = score.id;
  }
  const { input: _dropped, ...noInput } = fixtureScoreOf(prefix, 'absent', 'x', 'o');
  const absent = await section(() => scores.saveScore(noInput));
  await store.close();
  return { ok: true, scoreIds, absentInput: absent.error ? { error: absent.error } : absent.score.id };
}

const T1 = '2024-05-02T08:00:00.000Z';
const T2 = '2024-05-02T08:00:01.000Z';

/** [label, input, output] of the scores both directions write. */
const SCORE_VALUES = [
  ['str', 'hello', 'world'],
  ['num', '123', '4.5'],
  ['jsonstr', '{"a":1}', '[1,2]'],
  ['obj', { a: 1 }, [1, 2]],
  ['nullstr', 'null', ''],
];

/** A score with a supplied id, the required fields and the given input/output
 * (unset optional fields: no traceId, spanId, metadata, reason, ...). */
function fixtureScoreOf(prefix, label, input, output) {
  return {
    id: `${prefix}-supplied-${label}`,
    scorerId: `${prefix}-scorer`,
    entityId: `${prefix}-agent`,
    entityType: 'AGENT',
    runId: `${prefix}-${label}`,
    source: 'LIVE',
    score: 0.5,
    scorer: { id: `${prefix}-scorer` },
    entity: { id: `${prefix}-agent` },
    input,
    output,
  };
}

async function doRead(tableName, resourceId, workflowName, scorerId, resourceIds) {
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
  out.resources = {};
  for (const rid of (resourceIds || '').split(',').filter(Boolean)) {
    out.resources[rid] = await section(() => memory.getResourceById({ resourceId: rid }));
  }
  out.scores = [];
  out.scoresById = {};
  if (scorerId) {
    const scores = await store.getStore('scores');
    const listed = await section(() =>
      scores.listScoresByScorerId({ scorerId, pagination: { page: 0, perPage: false } }),
    );
    out.scores = listed.error ? listed : listed.scores;
    for (const score of Array.isArray(out.scores) ? out.scores : []) {
      out.scoresById[score.id] = await section(() => scores.getScoreById({ id: score.id }));
    }
  }
  await store.close();
  return out;
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'write') return doWrite(args[0], args[1]);
  if (command === 'read') return doRead(args[0], args[1], args[2], args[3], args[4]);
  throw new Error(`unknown command ${command}; use write or read`);
}

// Dates -> ISO strings in the whole answer.
runMain(async () => normalize(await main()), { emitResult: true });

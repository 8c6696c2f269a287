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
  await store.close();
  return { ok: true };
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

// Dates -> ISO strings in the whole answer.
runMain(async () => normalize(await main()), { emitResult: true });

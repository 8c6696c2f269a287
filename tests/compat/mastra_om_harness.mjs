#!/usr/bin/env node
// Observational memory through the real @mastra/pg, @mastra/libsql or @mastra/mongodb
// (TypeScript reference).
//
// Usage (stdout is exactly one JSON line; Mastra logs go to stderr):
//   node mastra_om_harness.mjs pg URL SCHEMA write RESOURCE THREAD
//   node mastra_om_harness.mjs pg URL SCHEMA read RESOURCE THREAD [--no-init]
//   node mastra_om_harness.mjs libsql FILE_URL - write RESOURCE THREAD
//   node mastra_om_harness.mjs libsql FILE_URL - read RESOURCE THREAD [--no-init]
//   node mastra_om_harness.mjs mongodb URI DB write|read RESOURCE THREAD [--no-init]
//
// write: through Mastra's own OM methods, a resource-scoped memory (observations, flags,
//   two buffered chunks, one activated, a reflection generation with a buffered reflection)
//   and a thread-scoped one (pending tokens, a buffered chunk); then prints `read`.
// read: {resource: history of (null, RESOURCE), thread: history of (THREAD, RESOURCE),
//   current: {resource, thread}} as Mastra returns them (Dates as ISO strings).

import { closeStore, emit, initialisedStore, loadPackage, normalize, runMain } from './harness_common.mjs';

async function newStore(kind, target, schema) {
  if (kind === 'pg') {
    const { mod } = await loadPackage('@mastra/pg');
    return new mod.PostgresStore({ id: 'om-compat', connectionString: target, schemaName: schema });
  }
  if (kind === 'mongodb') {
    const { mod } = await loadPackage('@mastra/mongodb');
    return new mod.MongoDBStore({ id: 'om-compat', uri: target, dbName: schema });
  }
  const { mod } = await loadPackage('@mastra/libsql');
  return new mod.LibSQLStore({ id: 'om-compat', url: target });
}

async function openStore(kind, target, schema, init) {
  const make = () => newStore(kind, target, schema);
  return init ? initialisedStore(make) : make();
}

async function read(memory, resourceId, threadId) {
  return normalize({
    resource: await memory.getObservationalMemoryHistory(null, resourceId, 50),
    thread: await memory.getObservationalMemoryHistory(threadId, resourceId, 50),
    current: {
      resource: await memory.getObservationalMemory(null, resourceId),
      thread: await memory.getObservationalMemory(threadId, resourceId),
    },
  });
}

async function write(memory, resourceId, threadId) {
  const record = await memory.initializeObservationalMemory({
    threadId: null,
    resourceId,
    scope: 'resource',
    config: { observationThreshold: 5000, nested: { reflection: { tokens: 40000 } } },
    observedTimezone: 'Europe/Paris',
  });
  await memory.updateActiveObservations({
    id: record.id,
    observations: '- line 1\n- line 2 🌍\n- line 3',
    tokenCount: 120,
    lastObservedAt: new Date('2024-05-01T10:00:00.123Z'),
    observedMessageIds: ['m-1', 'm-2'],
  });
  await memory.setObservingFlag(record.id, true);
  await memory.setBufferingObservationFlag(record.id, true, 4321);
  for (const [n, tokens] of [[1, 700], [2, 700]]) {
    await memory.updateBufferedObservations({
      id: record.id,
      chunk: {
        cycleId: `cycle-${n}`,
        observations: `buffered ${n}`,
        tokenCount: tokens / 2,
        messageIds: [`bm-${n}`],
        messageTokens: tokens,
        lastObservedAt: new Date(`2024-05-01T11:0${n}:00.000Z`),
        suggestedContinuation: `continue ${n}`,
        currentTask: `task ${n}`,
      },
      lastBufferedAtTime: new Date('2024-05-01T11:30:00.000Z'),
    });
  }
  await memory.setPendingMessageTokens(record.id, 1400);
  await memory.swapBufferedToActive({
    id: record.id,
    activationRatio: 0,
    messageTokensThreshold: 1000,
    currentPendingTokens: 1400,
  });
  const current = await memory.getObservationalMemory(null, resourceId);
  const reflection = await memory.createReflectionGeneration({
    currentRecord: current,
    reflection: 'condensed reflection',
    tokenCount: 30,
  });
  await memory.setReflectingFlag(reflection.id, true);
  await memory.updateBufferedReflection({
    id: reflection.id,
    reflection: 'buffered reflection',
    tokenCount: 50,
    inputTokenCount: 120,
    reflectedObservationLineCount: 1,
  });

  const threaded = await memory.initializeObservationalMemory({
    threadId,
    resourceId,
    scope: 'thread',
    config: { observationThreshold: 100 },
  });
  await memory.setPendingMessageTokens(threaded.id, 77);
  await memory.setBufferingReflectionFlag(threaded.id, true);
  await memory.updateBufferedObservations({
    id: threaded.id,
    chunk: {
      cycleId: 'thread-cycle',
      observations: 'thread chunk',
      tokenCount: 10,
      messageIds: ['tm-1', 'tm-2'],
      messageTokens: 20,
      lastObservedAt: new Date('2024-05-02T00:00:00.000Z'),
    },
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const init = !argv.includes('--no-init');
  const [kind, target, schema, cmd, resourceId, threadId] = argv.filter((a) => a !== '--no-init');
  if (!['pg', 'libsql', 'mongodb'].includes(kind) || !['write', 'read'].includes(cmd) || !resourceId || !threadId) {
    throw new Error('usage: mastra_om_harness.mjs pg|libsql|mongodb TARGET SCHEMA write|read RESOURCE THREAD [--no-init]');
  }
  const store = await openStore(kind, target, schema === '-' ? undefined : schema, init);
  const memory = await store.getStore('memory');
  if (cmd === 'write') await write(memory, resourceId, threadId);
  const out = await read(memory, resourceId, threadId);
  await closeStore(store);
  return out;
}

runMain(main, { exit: false, emitResult: true });

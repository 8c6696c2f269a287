#!/usr/bin/env node
// Cross-implementation harness for Mastra Studio's stored domains (stored agents with their
// versions; datasets with item versions) on @mastra/libsql and @mastra/mongodb.
//
// Usage:
//   node mastra_studio_harness.mjs write libsql FILE_URL
//   node mastra_studio_harness.mjs write mongodb URI DB
//   node mastra_studio_harness.mjs read  libsql FILE_URL      AGENT_IDS DATASET_IDS
//   node mastra_studio_harness.mjs read  mongodb URI DB        AGENT_IDS DATASET_IDS
//
//   write: through Mastra, agent "ts-agent" (version 1 from create, version 2 added and
//          activated, status published) and dataset "ts-dataset" (item A added then
//          updated, item B added then deleted: four dataset versions). Prints the ids.
//   read:  Mastra's view of the agents (thin record, every version, resolved) and datasets
//          (record, versions, every item row, current items, the snapshot at each version),
//          normalised: dates as ISO strings, null and undefined fields dropped.
//   AGENT_IDS / DATASET_IDS: comma separated.
//
// Packages are loaded from $MASTRA_NPM_DIR/node_modules (@mastra/libsql or @mastra/mongodb,
// with @mastra/core). stdout carries exactly one JSON line.

import { closeStore, emit, loadPackage, normalize, runMain, splitIds } from './harness_common.mjs';

async function openStore(kind, target, dbName) {
  if (kind === 'libsql') {
    const { mod } = await loadPackage('@mastra/libsql');
    return new mod.LibSQLStore({ id: 'studio-compat', url: target });
  }
  const { mod } = await loadPackage('@mastra/mongodb');
  return new mod.MongoDBStore({
    id: 'studio-compat',
    uri: target,
    dbName,
    options: { serverSelectionTimeoutMS: 10000 },
  });
}

/** `value` without null/undefined fields (recursively in plain objects), dates as ISO. */
function clean(value) {
  const v = normalize(value);
  if (Array.isArray(v)) return v.map(clean);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = clean(x);
    return out;
  }
  return v;
}

async function doWrite(store) {
  const agents = await store.getStore('agents');
  await agents.create({
    agent: {
      id: 'ts-agent',
      name: 'TS Agent',
      description: 'written by Mastra',
      instructions: 'Be helpful.',
      model: { provider: 'openai', name: 'gpt-4o-mini' },
      tools: { search: { description: 'web search' } },
      defaultOptions: { maxSteps: 3 },
      metadata: { team: 'ts', tier: 2 },
      authorId: 'author-ts',
    },
  });
  await agents.createVersion({
    id: 'ts-agent-v2',
    agentId: 'ts-agent',
    versionNumber: 2,
    name: 'TS Agent',
    instructions: 'Be very helpful.',
    model: { provider: 'openai', name: 'gpt-4o' },
    tools: { search: { description: 'web search' } },
    changedFields: ['instructions', 'model'],
    changeMessage: 'sharper',
  });
  await agents.update({ id: 'ts-agent', activeVersionId: 'ts-agent-v2', status: 'published' });

  const datasets = await store.getStore('datasets');
  const ds = await datasets.createDataset({
    id: 'ts-dataset',
    name: 'TS dataset',
    description: 'written by Mastra',
    metadata: { owner: 'ts' },
    inputSchema: { type: 'object' },
  });
  const a = await datasets.addItem({
    datasetId: ds.id,
    input: { question: 'What is 2+2?' },
    groundTruth: { answer: '4' },
    metadata: { difficulty: 'easy' },
  });
  await datasets.updateItem({ id: a.id, datasetId: ds.id, input: { question: 'What is 2+3?' }, groundTruth: { answer: '5' } });
  const b = await datasets.addItem({ datasetId: ds.id, input: { question: 'deleted later', tags: ['a', 'b'] } });
  await datasets.deleteItem({ id: b.id, datasetId: ds.id });
  return { agentIds: ['ts-agent'], datasetIds: [ds.id], itemIds: [a.id, b.id] };
}

async function doRead(store, agentIds, datasetIds) {
  const agents = await store.getStore('agents');
  const datasets = await store.getStore('datasets');
  const out = { agents: {}, datasets: {} };
  for (const id of agentIds) {
    const record = await agents.getById(id);
    if (!record) {
      out.agents[id] = null;
      continue;
    }
    const versions = await agents.listVersions({ agentId: id, perPage: false, orderBy: { field: 'versionNumber', direction: 'ASC' } });
    out.agents[id] = {
      record: clean(record),
      versions: clean(versions.versions),
      resolved: clean(await agents.getByIdResolved(id)),
      draft: clean(await agents.getByIdResolved(id, { status: 'draft' })),
      count: await agents.countVersions(id),
    };
  }
  for (const id of datasetIds) {
    const record = await datasets.getDatasetById({ id });
    if (!record) {
      out.datasets[id] = null;
      continue;
    }
    const versions = (await datasets.listDatasetVersions({ datasetId: id, pagination: { page: 0, perPage: false } })).versions;
    const current = (await datasets.listItems({ datasetId: id, pagination: { page: 0, perPage: false } })).items;
    const itemIds = new Set();
    const snapshots = {};
    for (const v of versions) {
      const items = await datasets.getItemsByVersion({ datasetId: id, version: v.version });
      items.forEach((i) => itemIds.add(i.id));
      snapshots[v.version] = clean(items).sort((x, y) => (x.id < y.id ? -1 : 1));
    }
    const history = {};
    for (const itemId of [...itemIds].sort()) history[itemId] = clean(await datasets.getItemHistory(itemId));
    out.datasets[id] = {
      record: clean(record),
      versions: clean(versions).map((v) => v.version),
      current: clean(current).sort((x, y) => (x.id < y.id ? -1 : 1)),
      snapshots,
      history,
    };
  }
  return out;
}

runMain(async () => {
  const [cmd, kind, target, ...rest] = process.argv.slice(2);
  const dbName = kind === 'mongodb' ? rest.shift() : undefined;
  const store = await openStore(kind, target, dbName);
  try {
    await store.init();
    if (cmd === 'write') emit(await doWrite(store));
    else if (cmd === 'read') emit(await doRead(store, splitIds(rest[0], ''), splitIds(rest[1], '')));
    else throw new Error(`unknown command ${cmd}`);
  } finally {
    await closeStore(store);
  }
});

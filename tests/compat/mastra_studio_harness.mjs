#!/usr/bin/env node
// Cross-implementation harness for Mastra Studio's stored domains (stored agents with their
// versions; datasets with item versions; experiments with results; blobs; the other
// versioned editor domains) on @mastra/libsql and @mastra/mongodb.
//
// Usage:
//   node mastra_studio_harness.mjs write libsql FILE_URL
//   node mastra_studio_harness.mjs write mongodb URI DB
//   node mastra_studio_harness.mjs read  libsql FILE_URL AGENT_IDS DATASET_IDS [EXPERIMENT_IDS [BLOB_HASHES [EDITOR_PREFIX]]]
//   node mastra_studio_harness.mjs read  mongodb URI DB  AGENT_IDS DATASET_IDS [EXPERIMENT_IDS [BLOB_HASHES [EDITOR_PREFIX]]]
//
//   write: through Mastra, agent "ts-agent" (version 1 from create, version 2 added and
//          activated, status published), dataset "ts-dataset" (item A added then updated,
//          item B added then deleted: four dataset versions), experiment "ts-exp" on its
//          version 4 (running, two results, one reviewed, then completed) and the blobs of
//          harness_common's writeFixtureBlobs, and per editor domain but agents the entity
//          "ts-<domain>" of editor_fixture.json. Prints the ids, blob hashes and the editor
//          prefix ("ts").
//   read:  Mastra's view of the agents (thin record, every version, resolved), datasets
//          (record, versions, every item row, current items, the snapshot at each version),
//          experiments (record, results in run order, each result by id, the ids listed for
//          its dataset, the ids of its results with status "reviewed" and with tag "flaky")
//          blobs (get, has, getMany) and, with EDITOR_PREFIX, per editor domain but agents
//          the entity "EDITOR_PREFIX-<domain>" (thin record, published and draft resolved,
//          versions by ascending number, count), normalised: dates as ISO strings, null
//          and undefined fields dropped.
//   AGENT_IDS / DATASET_IDS / EXPERIMENT_IDS / BLOB_HASHES: comma separated.
//
// Packages are loaded from $MASTRA_NPM_DIR/node_modules (@mastra/libsql or @mastra/mongodb,
// with @mastra/core). stdout carries exactly one JSON line.

import { EDITOR_DOMAINS, editorId, readEditorEntity, writeEditorEntity } from './editor_fixture.mjs';
import {
  closeStore,
  emit,
  initialisedStore,
  loadPackage,
  normalize,
  readBlobs,
  runMain,
  splitIds,
  writeFixtureBlobs,
} from './harness_common.mjs';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const T1 = new Date('2026-03-01T10:00:01.500Z');
const T2 = new Date('2026-03-01T10:00:03.250Z');
/** The editor domains crossed besides agents (written above with the experiments). */
const OTHER_EDITOR_DOMAINS = EDITOR_DOMAINS.filter((d) => d !== 'agents');

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

  const experiments = await store.getStore('experiments');
  await experiments.createExperiment({
    id: 'ts-exp',
    name: 'TS run',
    description: 'written by Mastra',
    metadata: { owner: 'ts', nested: { n: 1 } },
    datasetId: ds.id,
    datasetVersion: 4,
    targetType: 'agent',
    targetId: 'ts-agent',
    scorerIds: ['accuracy', 'tone'],
    agentVersion: 'ts-agent-v2',
    experimentSetId: 'ts-set',
    comparisonId: 'ts-cmp',
    variantId: 'baseline',
    trialIndex: 1,
    provenance: { source: 'ci', sourceId: 'repo', sourceVersion: 'abc123', metadata: { run: 7 } },
    runnerAttestation: { runnerId: 'runner-1', invocationId: 'inv-1' },
    totalItems: 3,
  });
  await experiments.updateExperiment({ id: 'ts-exp', status: 'running', startedAt: T0 });
  await experiments.addExperimentResult({
    id: 'ts-exp-r1',
    experimentId: 'ts-exp',
    itemId: a.id,
    itemDatasetVersion: 2,
    input: { question: 'What is 2+3?' },
    output: { text: '5', tokens: [1, 2] },
    groundTruth: { answer: '5' },
    metadata: { latencyMs: 12 },
    error: null,
    startedAt: T0,
    completedAt: T1,
    retryCount: 0,
    traceId: 'ts-trace-1',
    status: 'needs-review',
    tags: ['good'],
    toolMockReport: { served: [{ mockIndex: 0, toolName: 'search', args: { q: 'x' } }], unconsumed: [], liveCalls: [] },
  });
  await experiments.addExperimentResult({
    id: 'ts-exp-r2',
    experimentId: 'ts-exp',
    itemId: b.id,
    itemDatasetVersion: 3,
    input: 'plain ✓ text',
    output: null,
    groundTruth: null,
    error: { message: 'boom', code: 'E1' },
    startedAt: T1,
    completedAt: T2,
    retryCount: 1,
    attempt: 1,
  });
  await experiments.updateExperimentResult({ id: 'ts-exp-r2', status: 'reviewed', tags: ['flaky', 'x'], comment: 'look again' });
  await experiments.updateExperiment({ id: 'ts-exp', status: 'completed', succeededCount: 1, failedCount: 1, skippedCount: 1, completedAt: T2 });

  const blobs = await writeFixtureBlobs(await store.getStore('blobs'), 'ts');
  for (const domain of OTHER_EDITOR_DOMAINS) {
    await writeEditorEntity(await store.getStore(domain), domain, editorId('ts', domain));
  }
  return {
    agentIds: ['ts-agent'],
    datasetIds: [ds.id],
    itemIds: [a.id, b.id],
    experimentIds: ['ts-exp'],
    blobHashes: blobs.hashes,
    blobDeleted: blobs.deleted,
    editorPrefix: 'ts',
  };
}

async function doRead(store, agentIds, datasetIds, experimentIds, blobHashes, editorPrefix) {
  const agents = await store.getStore('agents');
  const datasets = await store.getStore('datasets');
  const out = { agents: {}, datasets: {}, experiments: {} };
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
  const experiments = await store.getStore('experiments');
  for (const id of experimentIds) {
    const record = await experiments.getExperimentById({ id });
    if (!record) {
      out.experiments[id] = null;
      continue;
    }
    const results = (await experiments.listExperimentResults({ experimentId: id, pagination: { page: 0, perPage: false } })).results;
    const byId = {};
    for (const r of results) byId[r.id] = clean(await experiments.getExperimentResultById({ id: r.id }));
    const listed = record.datasetId
      ? (await experiments.listExperiments({ datasetId: record.datasetId, pagination: { page: 0, perPage: false } })).experiments
      : [];
    const page = { page: 0, perPage: false };
    const reviewed = (await experiments.listExperimentResults({ experimentId: id, status: 'reviewed', pagination: page })).results;
    const flaky = (await experiments.listExperimentResults({ experimentId: id, tags: ['flaky'], pagination: page })).results;
    out.experiments[id] = {
      record: clean(record),
      results: clean(results),
      byId,
      listed: listed.map((e) => e.id),
      reviewed: reviewed.map((r) => r.id),
      flaky: flaky.map((r) => r.id),
    };
  }
  out.blobs = await readBlobs(await store.getStore('blobs'), blobHashes);
  out.editor = {};
  if (editorPrefix) {
    for (const domain of OTHER_EDITOR_DOMAINS) {
      const found = await readEditorEntity(await store.getStore(domain), domain, editorId(editorPrefix, domain), 'ASC');
      out.editor[domain] = clean(found);
    }
  }
  return out;
}

runMain(async () => {
  const [cmd, kind, target, ...rest] = process.argv.slice(2);
  const dbName = kind === 'mongodb' ? rest.shift() : undefined;
  const store = await initialisedStore(() => openStore(kind, target, dbName));
  try {
    if (cmd === 'write') emit(await doWrite(store));
    else if (cmd === 'read') {
      const [agentIds, datasetIds, experimentIds, blobHashes] = [0, 1, 2, 3].map((i) => splitIds(rest[i], ''));
      emit(await doRead(store, agentIds, datasetIds, experimentIds, blobHashes, rest[4]));
    }
    else throw new Error(`unknown command ${cmd}`);
  } finally {
    await closeStore(store);
  }
});

#!/usr/bin/env node
// Datasets (SCD-2 item versions), experiments and blobs through the real @mastra/pg
// (TypeScript reference).
//
// Usage (stdout is exactly one JSON line; Mastra logs go to stderr):
//   node mastra_evals_pg_harness.mjs URL SCHEMA write DATASET_ID EXPERIMENT_ID
//   node mastra_evals_pg_harness.mjs URL SCHEMA read DATASET_ID EXPERIMENT_ID [BLOB_HASHES] [--no-init]
//
// write: through Mastra's own methods, dataset DATASET_ID with an input schema; item A added
//   then updated, item B added then deleted, two items added in one batch (five versions);
//   experiment EXPERIMENT_ID on version 5 with two results (fixed start/end times; the second
//   reviewed: status, tags, comment), marked completed with counts; the blobs of harness_common's writeFixtureBlobs; then `read` of
//   those blobs, with {blobWrite: {hashes, deleted}}.
// read: {dataset, versions, current, snapshots (items per version), history (rows per
//   item), experiment, results, the ids of its results with status "reviewed" and with tag
//   "flaky", blobs (get/has/getMany of BLOB_HASHES, comma separated)},
//   null/undefined fields dropped, dates as ISO strings.

import { closeStore, loadPackage, normalize, readBlobs, runMain, splitIds, writeFixtureBlobs } from './harness_common.mjs';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const T1 = new Date('2026-03-01T10:00:01.500Z');
const T2 = new Date('2026-03-01T10:00:03.250Z');

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

const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

async function write(datasets, experiments, datasetId, experimentId) {
  await datasets.createDataset({
    id: datasetId,
    name: 'TS dataset',
    description: 'written by Mastra',
    metadata: { owner: 'ts', nested: { n: 1 } },
    inputSchema: { type: 'object', required: ['question'] },
    tags: ['qa'],
  });
  const a = await datasets.addItem({
    datasetId,
    input: { question: 'What is 2+2?' },
    groundTruth: { answer: '4' },
    metadata: { difficulty: 'easy' },
  });
  await datasets.updateItem({ id: a.id, datasetId, input: { question: 'What is 2+3? ✓' }, groundTruth: { answer: '5' } });
  const b = await datasets.addItem({ datasetId, input: { question: 'deleted later' } });
  await datasets.deleteItem({ id: b.id, datasetId });
  const batch = await datasets.batchInsertItems({
    datasetId,
    items: [{ input: { question: 'batch 1' } }, { input: { question: 'batch 2' }, groundTruth: 'x' }],
  });
  await experiments.createExperiment({
    id: experimentId,
    name: 'TS run',
    datasetId,
    datasetVersion: 5,
    targetType: 'agent',
    targetId: 'ts-agent',
    totalItems: 2,
  });
  await experiments.updateExperiment({ id: experimentId, status: 'running', startedAt: T0 });
  await experiments.addExperimentResult({
    id: `${experimentId}-r1`,
    experimentId,
    itemId: a.id,
    itemDatasetVersion: 2,
    input: { question: 'What is 2+3? ✓' },
    output: { text: '5' },
    groundTruth: { answer: '5' },
    startedAt: T0,
    completedAt: T1,
    retryCount: 0,
    traceId: 'trace-1',
    status: 'passed',
  });
  await experiments.addExperimentResult({
    id: `${experimentId}-r2`,
    experimentId,
    itemId: batch[0].id,
    itemDatasetVersion: 5,
    input: { question: 'batch 1' },
    error: { message: 'boom' },
    startedAt: T1,
    completedAt: T2,
    retryCount: 1,
  });
  await experiments.updateExperimentResult({ id: `${experimentId}-r2`, status: 'reviewed', tags: ['flaky', 'x'], comment: 'look again' });
  await experiments.updateExperiment({
    id: experimentId,
    status: 'completed',
    succeededCount: 1,
    failedCount: 1,
    completedAt: T2,
  });
}

async function read(datasets, experiments, blobs, datasetId, experimentId, blobHashes) {
  const dataset = await datasets.getDatasetById({ id: datasetId });
  const versions = (await datasets.listDatasetVersions({ datasetId, pagination: { page: 0, perPage: false } })).versions;
  const current = (await datasets.listItems({ datasetId, pagination: { page: 0, perPage: false } })).items;
  const snapshots = {};
  const itemIds = new Set();
  for (const v of versions) {
    const items = await datasets.getItemsByVersion({ datasetId, version: v.version });
    items.forEach((i) => itemIds.add(i.id));
    snapshots[v.version] = clean(items).sort(byId);
  }
  const history = {};
  for (const id of [...itemIds].sort()) history[id] = clean(await datasets.getItemHistory(id));
  const page = { page: 0, perPage: false };
  const results = (await experiments.listExperimentResults({ experimentId, pagination: page })).results;
  const reviewed = (await experiments.listExperimentResults({ experimentId, status: 'reviewed', pagination: page })).results;
  const flaky = (await experiments.listExperimentResults({ experimentId, tags: ['flaky'], pagination: page })).results;
  return {
    dataset: clean(dataset),
    versions: versions.map((v) => v.version),
    current: clean(current).sort(byId),
    snapshots,
    history,
    experiment: clean(await experiments.getExperimentById({ id: experimentId })),
    results: clean(results),
    reviewed: reviewed.map((r) => r.id),
    flaky: flaky.map((r) => r.id),
    blobs: await readBlobs(blobs, blobHashes),
  };
}

async function main() {
  const argv = process.argv.slice(2);
  const init = !argv.includes('--no-init');
  const [url, schema, cmd, datasetId, experimentId, hashArg] = argv.filter((a) => a !== '--no-init');
  if (!['write', 'read'].includes(cmd) || !datasetId || !experimentId) {
    throw new Error('usage: mastra_evals_pg_harness.mjs URL SCHEMA write|read DATASET_ID EXPERIMENT_ID [BLOB_HASHES] [--no-init]');
  }
  const { mod } = await loadPackage('@mastra/pg');
  const store = new mod.PostgresStore({ id: 'evals-compat', connectionString: url, schemaName: schema });
  if (init) await store.init();
  const datasets = await store.getStore('datasets');
  const experiments = await store.getStore('experiments');
  const blobs = await store.getStore('blobs');
  let blobWrite;
  if (cmd === 'write') {
    await write(datasets, experiments, datasetId, experimentId);
    blobWrite = await writeFixtureBlobs(blobs, 'ts');
  }
  const out = await read(datasets, experiments, blobs, datasetId, experimentId, blobWrite ? blobWrite.hashes : splitIds(hashArg, ''));
  await closeStore(store);
  return blobWrite ? { ...out, blobWrite } : out;
}

runMain(main, { exit: false, emitResult: true });

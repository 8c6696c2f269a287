#!/usr/bin/env node
// Dataset item identities (externalId) and purges through the real @mastra/pg, on a dataset
// the Python side created (TypeScript reference for tests/postgres/test_postgres_dataset_identity_compat.py).
//
// Usage (stdout is exactly one JSON line; Mastra logs go to stderr):
//   node mastra_dataset_identity_pg_harness.mjs URL SCHEMA DATASET_ID
//
// The dataset holds (written by Python) item "e1" ({input: {q: 'one'}, groundTruth: '1'}) and
// item "e2", purged. Mastra then: re-adds e1 with its payload (must resolve to the Python
// item), adds e1 with another payload (must conflict), reads and tries to update the purged
// e2, adds e3 and e4 and purges e4. Printed: what each step returned or the error id.

import { closeStore, loadPackage, normalize, runMain } from './harness_common.mjs';

async function attempt(fn) {
  try {
    return { value: normalize(await fn()) };
  } catch (e) {
    return { error: e.id || String(e), conflicts: e.conflicts };
  }
}

async function main() {
  const [url, schema, datasetId] = process.argv.slice(2);
  if (!datasetId) throw new Error('usage: mastra_dataset_identity_pg_harness.mjs URL SCHEMA DATASET_ID');
  const { mod } = await loadPackage('@mastra/pg');
  const store = new mod.PostgresStore({ id: 'identity-compat', connectionString: url, schemaName: schema });
  await store.init();
  const datasets = await store.getStore('datasets');
  const out = {};
  const again = await datasets.batchInsertItems({
    datasetId,
    items: [{ externalId: 'e1', input: { q: 'one' }, groundTruth: '1' }],
  });
  out.e1 = again.map((i) => i.id);
  out.e1Changed = await attempt(() => datasets.addItem({ datasetId, externalId: 'e1', input: { q: 'changed' } }));
  const current = (await datasets.listItems({ datasetId, pagination: { page: 0, perPage: false } })).items;
  const e2 = current.find((i) => i.externalId === 'e2');
  out.e2 = normalize({ id: e2.id, input: e2.input, groundTruth: e2.groundTruth ?? null, metadata: e2.metadata });
  out.e2Update = await attempt(() => datasets.updateItem({ id: e2.id, datasetId, input: { q: 'back' } }));
  const e3 = await datasets.addItem({ datasetId, externalId: 'e3', input: { q: 'three' }, metadata: { by: 'ts' } });
  const e4 = await datasets.addItem({ datasetId, externalId: 'e4', input: { q: 'four' } });
  await datasets.purgeItem({ id: e4.id, datasetId });
  out.e3 = e3.id;
  out.e4 = e4.id;
  out.version = (await datasets.getDatasetById({ id: datasetId })).version;
  await closeStore(store);
  return out;
}

runMain(main, { exit: false, emitResult: true });

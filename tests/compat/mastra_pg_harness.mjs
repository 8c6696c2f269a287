#!/usr/bin/env node
// Cross-implementation compatibility harness for @mastra/pg (TypeScript reference).
//
// Usage:
//   node mastra_pg_harness.mjs write URL SCHEMA
//   node mastra_pg_harness.mjs read  URL SCHEMA [RESOURCE_IDS] [SCORER_IDS] [--no-init]
//
//   node mastra_pg_harness.mjs write-read URL SCHEMA        (write, then read without init)
//   node mastra_pg_harness.mjs read-twice URL SCHEMA [RESOURCE_IDS] [SCORER_IDS]
//                                      (read without init, then init and read: {noInit, init})
//
//   URL: a postgresql:// connection string; SCHEMA: the schemaName both sides use.
//   The combined commands save a node start-up (seconds on a busy machine) per call.
//
//   RESOURCE_IDS / SCORER_IDS: comma separated (defaults: ts-resource / ts-scorer).
//   --no-init: do not call store.init() before reading (no DDL / ALTER / index creation).
//
// Packages are loaded from $MASTRA_NPM_DIR/node_modules (default /tmp/mastra-npm),
// i.e. `npm i @mastra/pg@1.27.1 @mastra/core@1.71.0` in that directory.
//
// stdout carries exactly one JSON line; every log line from Mastra goes to stderr.

import { closeStore, emit, loadPackage, readAll, runMain, splitIds, writeFixture } from './harness_common.mjs';
import { readDataset, writeDataset } from './null_rule_dataset.mjs';

async function openStore(target, { init = true } = {}) {
  const { mod } = await loadPackage('@mastra/pg');
  const store = new mod.PostgresStore({
    id: 'compat',
    connectionString: target.url,
    schemaName: target.schema,
  });
  if (init) await store.init();
  return store;
}

async function doWrite(target) {
  const store = await openStore(target);
  await writeFixture(store);
  await closeStore(store);
  return { ok: true };
}

async function doRead(target, resourceIds, scorerIds, init) {
  const store = await openStore(target, { init });
  const out = await readAll(store, resourceIds, scorerIds);
  await closeStore(store);
  return out;
}

// ---------------------------------------------------------------------------
async function main() {
  const argv = process.argv.slice(2);
  const noInit = argv.includes('--no-init');
  const args = argv.filter((a) => a !== '--no-init');
  const [cmd, url, schema, resourceArg, scorerArg] = args;
  const commands = ['write', 'read', 'write-read', 'read-twice', 'write-dataset', 'read-dataset'];
  if (!cmd || !url || !schema || !commands.includes(cmd)) {
    throw new Error(`usage: mastra_pg_harness.mjs ${commands.join('|')} URL SCHEMA [RESOURCE_IDS] [SCORER_IDS] [--no-init]`);
  }
  const target = { url, schema };
  const resources = splitIds(resourceArg, 'ts-resource');
  const scorers = splitIds(scorerArg, 'ts-scorer');
  if (cmd === 'write') return emit(await doWrite(target));
  if (cmd === 'write-dataset' || cmd === 'read-dataset') {
    // The issue-16 dataset of null_rule_dataset.mjs.
    const store = await openStore(target, { init: !noInit });
    const out = cmd === 'write-dataset' ? (await writeDataset(store), { ok: true }) : await readDataset(store);
    await closeStore(store);
    return emit(out);
  }
  if (cmd === 'write-read') {
    await doWrite(target);
    return emit(await doRead(target, resources, scorers, false));
  }
  if (cmd === 'read-twice') {
    const first = await doRead(target, resources, scorers, false);
    const second = await doRead(target, resources, scorers, true);
    return emit({ noInit: first, init: second });
  }
  return emit(await doRead(target, resources, scorers, !noInit));
}

runMain(main);

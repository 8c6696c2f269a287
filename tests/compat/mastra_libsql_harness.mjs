#!/usr/bin/env node
// Cross-implementation compatibility harness for @mastra/libsql (TypeScript reference).
//
// Usage:
//   node mastra_libsql_harness.mjs write FILE
//   node mastra_libsql_harness.mjs read  FILE [RESOURCE_IDS] [SCORER_IDS] [--no-init]
//   node mastra_libsql_harness.mjs write-dataset|read-dataset FILE [--no-init]
//     (the issue-16 dataset of null_rule_dataset.mjs)
//
//   RESOURCE_IDS / SCORER_IDS: comma separated (defaults: ts-resource / ts-scorer).
//   --no-init: do not call store.init() before reading (no DDL / ALTER / index creation).
//
// Packages are loaded from $MASTRA_NPM_DIR/node_modules (default /tmp/mastra-npm),
// i.e. `npm i @mastra/libsql@1.23.1 @mastra/core@1.71.0` in that directory.
//
// stdout carries exactly one JSON line; every log line from Mastra goes to stderr.

import path from 'node:path';
import { closeStore, emit, initialisedStore, loadPackage, readAll, runMain, splitIds, writeFixture } from './harness_common.mjs';
import { readDataset, writeDataset } from './null_rule_dataset.mjs';

// FILE may also be a libSQL server URL (sqld): then Mastra's own client speaks to it.
const isServerUrl = (f) => /^(libsql|https?|wss?):\/\//.test(f);

async function openStore(file, { init = true } = {}) {
  const { mod } = await loadPackage('@mastra/libsql');
  const url = isServerUrl(file) ? file : 'file:' + file;
  const make = () => new mod.LibSQLStore({ id: 'compat', url });
  return init ? initialisedStore(make) : make();
}

async function doWrite(file) {
  const store = await openStore(file);
  await writeFixture(store);
  await closeStore(store);
  emit({ ok: true });
}

async function doRead(file, resourceIds, scorerIds, init) {
  const store = await openStore(file, { init });
  const out = await readAll(store, resourceIds, scorerIds);
  await closeStore(store);
  emit(out);
}

// ---------------------------------------------------------------------------
async function main() {
  const argv = process.argv.slice(2);
  const noInit = argv.includes('--no-init');
  const args = argv.filter((a) => a !== '--no-init');
  const [cmd, file, resourceArg, scorerArg] = args;
  if (!cmd || !file || !['write', 'read', 'write-dataset', 'read-dataset'].includes(cmd)) {
    throw new Error('usage: mastra_libsql_harness.mjs write|read FILE [RESOURCE_IDS] [SCORER_IDS] [--no-init]');
  }
  const absFile = isServerUrl(file) ? file : path.resolve(file);
  if (cmd === 'write') return doWrite(absFile);
  if (cmd === 'write-dataset' || cmd === 'read-dataset') {
    const store = await openStore(absFile, { init: !noInit });
    const out = cmd === 'write-dataset' ? (await writeDataset(store), { ok: true }) : await readDataset(store);
    await closeStore(store);
    return emit(out);
  }
  return doRead(absFile, splitIds(resourceArg, 'ts-resource'), splitIds(scorerArg, 'ts-scorer'), !noInit);
}

// Exit naturally on success (no process.exit): @libsql/client only checkpoints the
// WAL into the main file when its connections are finalised, which an abrupt
// process.exit() skips (the data then lives only in FILE-wal).
runMain(main, { exit: false });

#!/usr/bin/env node
// Cross-implementation compatibility harness for @mastra/mongodb (TypeScript reference).
//
// Usage:
//   node mastra_mongodb_harness.mjs write URI DB [--no-init]
//   node mastra_mongodb_harness.mjs read  URI DB [RESOURCE_IDS] [SCORER_IDS] [--no-init]
//   node mastra_mongodb_harness.mjs probe URI DB
//   node mastra_mongodb_harness.mjs write-dataset|read-dataset URI DB [--no-init]
//     (the issue-16 dataset of null_rule_dataset.mjs)
//
//   RESOURCE_IDS / SCORER_IDS: comma separated (defaults: ts-resource / ts-scorer).
//   --no-init: do not call store.init() first (no index creation; Mastra's init creates
//              about 35 collections with their indexes, which takes seconds).
//   probe: connect, report hello/buildInfo and whether Mastra would use transactions.
//
// Packages are loaded from $MASTRA_NPM_DIR/node_modules (default /tmp/mastra-npm),
// i.e. `npm i @mastra/mongodb@1.19.0 @mastra/core@1.71.0` in that directory.
//
// stdout carries exactly one JSON line; every log line from Mastra goes to stderr.

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeStore, emit, loadPackage, npmDir, readAll, runMain, splitIds, writeFixture } from './harness_common.mjs';
import { readDataset, writeDataset } from './null_rule_dataset.mjs';

async function openStore(uri, dbName, { init = true } = {}) {
  const { mod } = await loadPackage('@mastra/mongodb');
  const store = new mod.MongoDBStore({
    id: 'compat',
    uri,
    dbName,
    options: { serverSelectionTimeoutMS: 10000 },
  });
  if (init) await store.init();
  return store;
}

async function doProbe(uri, dbName) {
  const driverDir = path.join(npmDir(), 'node_modules', 'mongodb');
  const driverPkg = JSON.parse(fs.readFileSync(path.join(driverDir, 'package.json'), 'utf8'));
  const driver = await import(pathToFileURL(path.join(driverDir, driverPkg.main)).href);
  const MongoClient = driver.MongoClient || driver.default?.MongoClient;
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000 });
  try {
    await client.connect();
    const admin = client.db(dbName).admin();
    const hello = await admin.command({ hello: 1 });
    const build = await admin.command({ buildInfo: 1 });
    emit({
      driver: driverPkg.version,
      setName: hello.setName ?? null,
      maxWireVersion: hello.maxWireVersion,
      version: build.version,
      transactions: Boolean(hello.setName) || hello.msg === 'isdbgrid',
    });
  } finally {
    await client.close();
  }
}

async function doWrite(uri, dbName, init) {
  const store = await openStore(uri, dbName, { init });
  await writeFixture(store);
  await closeStore(store);
  emit({ ok: true });
}

async function doRead(uri, dbName, resourceIds, scorerIds, init) {
  const store = await openStore(uri, dbName, { init });
  const out = await readAll(store, resourceIds, scorerIds);
  await closeStore(store);
  emit(out);
}

// ---------------------------------------------------------------------------
async function main() {
  const argv = process.argv.slice(2);
  const noInit = argv.includes('--no-init');
  const args = argv.filter((a) => a !== '--no-init');
  const [cmd, uri, dbName, resourceArg, scorerArg] = args;
  if (!cmd || !uri || !dbName || !['write', 'read', 'probe', 'write-dataset', 'read-dataset'].includes(cmd)) {
    throw new Error('usage: mastra_mongodb_harness.mjs write|read|probe URI DB [RESOURCE_IDS] [SCORER_IDS] [--no-init]');
  }
  if (cmd === 'probe') return doProbe(uri, dbName);
  if (cmd === 'write') return doWrite(uri, dbName, !noInit);
  if (cmd === 'write-dataset' || cmd === 'read-dataset') {
    const store = await openStore(uri, dbName, { init: !noInit });
    const out = cmd === 'write-dataset' ? (await writeDataset(store), { ok: true }) : await readDataset(store);
    await closeStore(store);
    return emit(out);
  }
  return doRead(uri, dbName, splitIds(resourceArg, 'ts-resource'), splitIds(scorerArg, 'ts-scorer'), !noInit);
}

runMain(main);

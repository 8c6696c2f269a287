#!/usr/bin/env node
// Cross-implementation check of vector indexes with @mastra/pg's PgVector.
//
// Usage:
//   node mastra_pg_vector_harness.mjs write URL SCHEMA INDEX   create INDEX (dim 4), upsert 3 vectors
//   node mastra_pg_vector_harness.mjs read  URL SCHEMA INDEX   list, describe and query INDEX
//
// Packages come from $MASTRA_NPM_DIR/node_modules (@mastra/pg@1.27.1, @mastra/core).
// stdout carries exactly one JSON line; Mastra's logs go to stderr.

import path from 'node:path';
import util from 'node:util';
import { pathToFileURL } from 'node:url';

const realStdoutWrite = process.stdout.write.bind(process.stdout);
for (const m of ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir']) {
  console[m] = (...args) => process.stderr.write(util.format(...args) + '\n');
}
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);
const emit = obj => realStdoutWrite(JSON.stringify(obj) + '\n');

const [mode, url, schemaName, indexName] = process.argv.slice(2);
const npmDir = process.env.MASTRA_NPM_DIR || '/tmp/mastra-npm';
const entry = path.join(npmDir, 'node_modules', '@mastra', 'pg', 'dist', 'index.js');

try {
  const { PgVector } = await import(pathToFileURL(entry).href);
  const vector = new PgVector({ id: 'compat-vector', connectionString: url, schemaName });
  if (mode === 'write') {
    await vector.createIndex({ indexName, dimension: 4, metadataIndexes: ['thread_id'] });
    const ids = await vector.upsert({
      indexName,
      vectors: [[1, 0, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 1, 0]],
      metadata: [
        { message_id: 'ts-1', thread_id: 't1', resource_id: 'r1', tags: ['a', 'b'] },
        { message_id: 'ts-2', thread_id: 't1', resource_id: 'r1', n: 2 },
        { message_id: 'ts-3', thread_id: 't2', resource_id: 'r2' },
      ],
      ids: ['ts-1', 'ts-2', 'ts-3'],
    });
    emit({ ids });
  } else {
    const indexes = await vector.listIndexes();
    const stats = await vector.describeIndex({ indexName });
    const all = await vector.query({ indexName, queryVector: [1, 0, 0, 0], topK: 10, includeVector: true });
    const filtered = await vector.query({ indexName, queryVector: [1, 0, 0, 0], topK: 10, filter: { thread_id: 't1' } });
    emit({ indexes, stats, all, filtered });
  }
  if (typeof vector.disconnect === 'function') await vector.disconnect();
} catch (e) {
  emit({ error: String(e && e.stack ? e.stack : e) });
  process.exitCode = 1;
}

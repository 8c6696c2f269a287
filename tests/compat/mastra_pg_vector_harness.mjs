#!/usr/bin/env node
// Cross-implementation check of vector indexes with @mastra/pg's PgVector.
//
// Usage:
//   node mastra_pg_vector_harness.mjs write URL SCHEMA INDEX   create INDEX (dim 4), upsert 3 vectors
//   node mastra_pg_vector_harness.mjs read  URL SCHEMA INDEX   list, describe and query INDEX
//
// Packages come from $MASTRA_NPM_DIR/node_modules (@mastra/pg@1.27.1, @mastra/core).
// stdout carries exactly one JSON line; Mastra's logs go to stderr.

import { loadPackage, runVectorHarness } from './harness_common.mjs';

const [mode, url, schemaName, indexName] = process.argv.slice(2);

await runVectorHarness({
  mode,
  indexName,
  openVector: async () => {
    const { PgVector } = (await loadPackage('@mastra/pg')).mod;
    return new PgVector({ id: 'compat-vector', connectionString: url, schemaName });
  },
  createOptions: { metadataIndexes: ['thread_id'] },
  close: async (vector) => {
    if (typeof vector.disconnect === 'function') await vector.disconnect();
  },
});

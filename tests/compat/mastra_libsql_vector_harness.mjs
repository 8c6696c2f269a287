#!/usr/bin/env node
// Cross-implementation check of vector indexes with @mastra/libsql's LibSQLVector.
//
// Usage:
//   node mastra_libsql_vector_harness.mjs write FILE INDEX   create INDEX (dim 4) and upsert 3 vectors
//   node mastra_libsql_vector_harness.mjs read  FILE INDEX   list, describe and query INDEX
//
// Packages come from $MASTRA_NPM_DIR/node_modules (@mastra/libsql@1.23.1, @mastra/core).
// stdout carries exactly one JSON line; Mastra's logs go to stderr.

import { loadPackage, runVectorHarness } from './harness_common.mjs';

const [mode, file, indexName] = process.argv.slice(2);

await runVectorHarness({
  mode,
  indexName,
  openVector: async () => {
    const { LibSQLVector } = (await loadPackage('@mastra/libsql')).mod;
    return new LibSQLVector({ id: 'compat-vector', url: `file:${file}` });
  },
  close: async (vector) => {
    if (typeof vector.close === 'function') await vector.close();
  },
});

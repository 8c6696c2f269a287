#!/usr/bin/env node
// The seven versioned editor domains (agents, promptBlocks, scorerDefinitions, mcpClients,
// mcpServers, workspaces, skills) through the real @mastra/pg (TypeScript reference), all
// in one node process.
//
// Usage (stdout is exactly one JSON line; Mastra logs go to stderr):
//   node mastra_editor_harness.mjs pg URL SCHEMA write PREFIX
//   node mastra_editor_harness.mjs pg URL SCHEMA read PREFIX [--no-init]
//
// write: through Mastra's own methods, per domain the entity "PREFIX-<domain>" of
//   editor_fixture.json (version 1 from create, version 2 added, the fixture's version
//   published or none); then `read`.
// read: {<domain>: {thin, published, draft, versions, count}} as Mastra returns them
//   (getById, getByIdResolved default and {status: 'draft'}, listVersions highest number
//   first, countVersions) for the entity "PREFIX-<domain>" of each domain.

import { EDITOR_DOMAINS, editorId, readEditorEntity, writeEditorEntity } from './editor_fixture.mjs';
import { closeStore, loadPackage, normalize, runMain } from './harness_common.mjs';

async function main() {
  const argv = process.argv.slice(2);
  const init = !argv.includes('--no-init');
  const [kind, url, schema, cmd, prefix] = argv.filter((a) => a !== '--no-init');
  if (kind !== 'pg' || !['write', 'read'].includes(cmd) || !prefix) {
    throw new Error('usage: mastra_editor_harness.mjs pg URL SCHEMA write|read PREFIX [--no-init]');
  }
  const { mod } = await loadPackage('@mastra/pg');
  const store = new mod.PostgresStore({ id: 'editor-compat', connectionString: url, schemaName: schema });
  if (init) await store.init();
  const out = {};
  try {
    for (const domain of EDITOR_DOMAINS) {
      const domainStore = await store.getStore(domain);
      const id = editorId(prefix, domain);
      if (cmd === 'write') await writeEditorEntity(domainStore, domain, id);
      out[domain] = normalize(await readEditorEntity(domainStore, domain, id, 'DESC'));
    }
  } finally {
    await closeStore(store);
  }
  return out;
}

runMain(main, { exit: false, emitResult: true });

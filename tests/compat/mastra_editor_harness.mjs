#!/usr/bin/env node
// Versioned editor domains (an agent and a prompt block) through the real @mastra/pg
// (TypeScript reference).
//
// Usage (stdout is exactly one JSON line; Mastra logs go to stderr):
//   node mastra_editor_harness.mjs pg URL SCHEMA write AGENT_ID BLOCK_ID
//   node mastra_editor_harness.mjs pg URL SCHEMA read AGENT_ID BLOCK_ID [--no-init]
//
// write: through Mastra's own methods, an agent with a second version, version 1 active
//   and published, and a prompt block with a second version left as draft; then `read`.
// read: per entity {thin, published, draft, versions, count} as Mastra returns them
//   (getById, getByIdResolved default and {status: 'draft'}, listVersions, countVersions).

import { closeStore, loadPackage, normalize, runMain } from './harness_common.mjs';

async function write(agents, blocks, agentId, blockId) {
  await agents.create({
    agent: {
      id: agentId,
      authorId: 'ts-author',
      metadata: { team: 'ts', nested: { n: 1 } },
      name: 'TS Agent',
      description: 'made by Mastra',
      instructions: 'Answer in French. 🌍',
      model: { provider: 'openai', name: 'gpt-4o' },
      tools: { search: { description: 'web' } },
      defaultOptions: { maxSteps: 3 },
    },
  });
  const first = await agents.getLatestVersion(agentId);
  await agents.createVersion({
    id: `${agentId}-v2`,
    agentId,
    versionNumber: 2,
    name: 'TS Agent v2',
    instructions: 'Answer in German.',
    model: { provider: 'anthropic', name: 'claude' },
    changedFields: ['name', 'instructions', 'model'],
    changeMessage: 'second',
  });
  await agents.update({ id: agentId, activeVersionId: first.id, status: 'published' });
  await blocks.create({
    promptBlock: {
      id: blockId,
      authorId: 'ts-author',
      metadata: { kind: 'greeting' },
      name: 'Greeting',
      content: 'Hello {{user}}',
      rules: { all: [{ field: 'lang', op: 'eq', value: 'en' }] },
    },
  });
  await blocks.createVersion({
    id: `${blockId}-v2`,
    blockId,
    versionNumber: 2,
    name: 'Greeting v2',
    content: 'Hi {{user}}',
    changedFields: ['content'],
    changeMessage: 'shorter',
  });
}

async function view(domain, parentKey, id) {
  const listed = await domain.listVersions({ [parentKey]: id, perPage: false });
  return normalize({
    thin: await domain.getById(id),
    published: await domain.getByIdResolved(id),
    draft: await domain.getByIdResolved(id, { status: 'draft' }),
    versions: listed.versions,
    count: await domain.countVersions(id),
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const init = !argv.includes('--no-init');
  const [kind, url, schema, cmd, agentId, blockId] = argv.filter((a) => a !== '--no-init');
  if (kind !== 'pg' || !['write', 'read'].includes(cmd) || !agentId || !blockId) {
    throw new Error('usage: mastra_editor_harness.mjs pg URL SCHEMA write|read AGENT_ID BLOCK_ID [--no-init]');
  }
  const { mod } = await loadPackage('@mastra/pg');
  const store = new mod.PostgresStore({ id: 'editor-compat', connectionString: url, schemaName: schema });
  if (init) await store.init();
  const agents = await store.getStore('agents');
  const blocks = await store.getStore('promptBlocks');
  if (cmd === 'write') await write(agents, blocks, agentId, blockId);
  const out = {
    agent: await view(agents, 'agentId', agentId),
    block: await view(blocks, 'blockId', blockId),
  };
  await closeStore(store);
  return out;
}

runMain(main, { exit: false, emitResult: true });

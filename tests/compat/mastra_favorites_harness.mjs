#!/usr/bin/env node
// Studio's favourites (mastra_favorites and the agents'/skills' favoriteCount) through the
// real @mastra/pg or @mastra/libsql (TypeScript reference).
//
// Usage (stdout is exactly one JSON line; Mastra logs go to stderr):
//   node mastra_favorites_harness.mjs pg URL SCHEMA write|read|toggle PREFIX [--no-init]
//   node mastra_favorites_harness.mjs libsql FILE_URL - write|read|toggle PREFIX [--no-init]
//
// Entities: agents PREFIX-a1..a3 and skill PREFIX-s1, authored by PREFIX-author.
// write: creates them and favourites: u1 -> a1, a3, s1; u2 -> a1 and a2, then u2 drops a2
//   (u1 -> a1 twice: idempotent); prints the toggles, then what `read` prints.
// toggle: on existing entities, u3 -> a2 and u1 drops a3; prints the toggles and `read`.
// read: {counts, pinned, only, skillsPinned, favIds, batch} as Mastra returns them.

import { closeStore, initialisedStore, loadPackage, runMain } from './harness_common.mjs';

const MODEL = { provider: 'openai', name: 'gpt-4o' };

async function open(kind, target, schema) {
  if (kind === 'pg') {
    const { mod } = await loadPackage('@mastra/pg');
    return new mod.PostgresStore({ id: 'favorites-compat', connectionString: target, schemaName: schema });
  }
  const { mod } = await loadPackage('@mastra/libsql');
  return new mod.LibSQLStore({ id: 'favorites-compat', url: target });
}

async function write(agents, skills, favs, p) {
  for (const n of [1, 2, 3]) {
    await agents.create({
      agent: { id: `${p}-a${n}`, authorId: `${p}-author`, name: `A${n}`, instructions: 'i', model: MODEL },
    });
  }
  await skills.create({
    skill: { id: `${p}-s1`, authorId: `${p}-author`, name: 'S', description: 'd', instructions: 'i' },
  });
  const t = (userId, entityType, entityId) => ({ userId, entityType, entityId });
  return [
    await favs.favorite(t('u1', 'agent', `${p}-a1`)),
    await favs.favorite(t('u1', 'agent', `${p}-a1`)),
    await favs.favorite(t('u1', 'agent', `${p}-a3`)),
    await favs.favorite(t('u1', 'skill', `${p}-s1`)),
    await favs.favorite(t('u2', 'agent', `${p}-a1`)),
    await favs.favorite(t('u2', 'agent', `${p}-a2`)),
    await favs.unfavorite(t('u2', 'agent', `${p}-a2`)),
  ];
}

async function toggle(favs, p) {
  return [
    await favs.favorite({ userId: 'u3', entityType: 'agent', entityId: `${p}-a2` }),
    await favs.unfavorite({ userId: 'u1', entityType: 'agent', entityId: `${p}-a3` }),
  ];
}

async function read(agents, skills, favs, p) {
  const authorId = `${p}-author`;
  const ids = (page, key) => page[key].map((e) => e.id);
  const counts = {};
  for (const id of [`${p}-a1`, `${p}-a2`, `${p}-a3`]) counts[id] = (await agents.getById(id)).favoriteCount ?? 0;
  counts[`${p}-s1`] = (await skills.getById(`${p}-s1`)).favoriteCount ?? 0;
  const only = await agents.list({ authorId, pinFavoritedFor: 'u1', favoritedOnly: true });
  const batch = await favs.isFavoritedBatch({
    userId: 'u2',
    entityType: 'agent',
    entityIds: [`${p}-a1`, `${p}-a2`, `${p}-a3`],
  });
  return {
    counts,
    pinned: ids(await agents.list({ authorId, pinFavoritedFor: 'u1' }), 'agents'),
    only: { ids: ids(only, 'agents'), total: only.total },
    skillsPinned: ids(await skills.list({ authorId, pinFavoritedFor: 'u1', favoritedOnly: true }), 'skills'),
    favIds: await favs.listFavoritedIds({ userId: 'u1', entityType: 'agent' }),
    batch: [...batch].sort(),
  };
}

async function main() {
  const argv = process.argv.slice(2);
  const init = !argv.includes('--no-init');
  const [kind, target, schema, cmd, prefix] = argv.filter((a) => a !== '--no-init');
  if (!['pg', 'libsql'].includes(kind) || !['write', 'read', 'toggle'].includes(cmd) || !prefix) {
    throw new Error('usage: mastra_favorites_harness.mjs pg|libsql TARGET SCHEMA write|read|toggle PREFIX [--no-init]');
  }
  const make = () => open(kind, target, schema);
  const store = init ? await initialisedStore(make) : await make();
  const agents = await store.getStore('agents');
  const skills = await store.getStore('skills');
  const favs = await store.getStore('favorites');
  let toggles = [];
  if (cmd === 'write') toggles = await write(agents, skills, favs, prefix);
  if (cmd === 'toggle') toggles = await toggle(favs, prefix);
  const out = { toggles, ...(await read(agents, skills, favs, prefix)) };
  await closeStore(store);
  return out;
}

runMain(main, { exit: false, emitResult: true });

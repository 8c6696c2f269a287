// The versioned editor domains' cross-read fixture on Mastra's side, shared by
// mastra_editor_harness.mjs (@mastra/pg) and mastra_studio_harness.mjs (@mastra/libsql,
// @mastra/mongodb). The entities themselves are data (editor_fixture.json), read by
// tests/support/studio_compat.py too, so both sides write the same thing.

import fs from 'node:fs';

const SPEC = JSON.parse(fs.readFileSync(new URL('./editor_fixture.json', import.meta.url), 'utf8'));

/** The domains of the fixture, in file order (getStore names). */
export const EDITOR_DOMAINS = Object.keys(SPEC).filter((k) => !k.startsWith('_'));

/** The id of the fixture entity of `domain` written under `prefix`. */
export function editorId(prefix, domain) {
  return `${prefix}-${domain}`;
}

/** `config` with '{id}' in its top-level strings replaced by `id`. */
function withId(config, id) {
  const out = {};
  for (const [k, v] of Object.entries(config)) out[k] = typeof v === 'string' ? v.replaceAll('{id}', id) : v;
  return out;
}

/** Through Mastra's own methods: create the entity (version 1), add version 2 and publish
 * the version the fixture names. */
export async function writeEditorEntity(store, domain, id) {
  const spec = SPEC[domain];
  const created = await store.create({ [spec.createKey]: { id, ...spec.thin, ...withId(spec.v1, id) } });
  // a release that picks another id than the one given (see editor_fixture.json) fails here
  if (created.id !== id) throw new Error(`${domain}: created ${created.id}, asked for ${id}`);
  const first = await store.getLatestVersion(id);
  await store.createVersion({
    id: `${id}-v2`,
    [spec.parentKey]: id,
    versionNumber: 2,
    ...withId(spec.v2, id),
    changedFields: spec.changedFields,
    changeMessage: spec.changeMessage,
  });
  if (spec.activate) {
    const active = spec.activate === 1 ? first.id : `${id}-v2`;
    await store.update({ id, activeVersionId: active, status: 'published' });
  }
}

/** Mastra's reads of one entity: thin record, resolved (published, the default) and
 * draft, every version (in `direction` of versionNumber), and the version count. Raw
 * values: each harness applies its own normalisation. */
export async function readEditorEntity(store, domain, id, direction) {
  const { parentKey } = SPEC[domain];
  const thin = await store.getById(id);
  if (!thin) return null;
  const listed = await store.listVersions({
    [parentKey]: id,
    perPage: false,
    orderBy: { field: 'versionNumber', direction },
  });
  return {
    thin,
    published: await store.getByIdResolved(id),
    draft: await store.getByIdResolved(id, { status: 'draft' }),
    versions: listed.versions,
    count: await store.countVersions(id),
  };
}

// The issue-16 dataset (score ids, score input/output encodings, unset optional fields),
// written through Mastra's own API and read back through it, record by record.
// mastra_storage/testing/compat_dataset.py writes the same records through the SDK.
//
// A harness runs `writeDataset(store)` for its `write-dataset` mode and prints
// `readDataset(store)` for its `read-dataset` mode.

import { section } from './harness_common.mjs';

const T1 = '2024-07-01T08:00:00.000Z';
const T1_PLUS = '2024-07-01T08:00:01.000Z';

export const DATASET_SCORE_IDS = ['ds-score-str', 'ds-score-num', 'ds-score-json', 'ds-score-bare', 'ds-score-over'];

function score(id, fields) {
  return {
    id,
    scorerId: 'ds-scorer',
    entityId: 'ds-agent',
    runId: 'ds-run',
    source: 'LIVE',
    score: 0.5,
    scorer: { id: 'ds-scorer' },
    entity: { id: 'ds-agent' },
    ...fields,
  };
}

export async function writeDataset(store) {
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const scores = await store.getStore('scores');

  // Unset optional fields: a thread without metadata, messages without a type (two with the
  // same createdAt), a resource with neither working memory nor metadata, a run without a
  // resource whose snapshot holds empty arrays.
  await memory.saveThread({
    thread: { id: 'ds-thread', resourceId: 'ds-res', title: 'bare', createdAt: new Date(T1), updatedAt: new Date(T1) },
  });
  await memory.saveMessages({
    messages: [
      { id: 'ds-m1', threadId: 'ds-thread', resourceId: 'ds-res', role: 'user', createdAt: new Date(T1_PLUS),
        content: { format: 2, parts: [{ type: 'text', text: 'a' }] } },
      { id: 'ds-m2', threadId: 'ds-thread', resourceId: 'ds-res', role: 'assistant', createdAt: new Date(T1_PLUS),
        content: { format: 2, parts: [{ type: 'text', text: 'b' }], content: 'b' } },
    ],
  });
  await memory.saveResource({ resource: { id: 'ds-res-bare', createdAt: new Date(T1), updatedAt: new Date(T1) } });
  await memory.saveResource({
    resource: { id: 'ds-res-full', workingMemory: '# wm', metadata: { k: 1 }, createdAt: new Date(T1), updatedAt: new Date(T1) },
  });
  await workflows.persistWorkflowSnapshot({
    workflowName: 'ds-wf',
    runId: 'ds-run-bare',
    snapshot: { status: 'success', runId: 'ds-run-bare', context: {}, activePaths: [], suspendedPaths: {},
      serializedStepGraph: [], value: {}, timestamp: 1719820800000 },
    createdAt: new Date(T1),
    updatedAt: new Date(T1),
  });

  // Supplied score ids; string, number-like and JSON-looking inputs and outputs.
  await scores.saveScore(score('ds-score-str', { input: 'hello', output: 'world', reason: 'r' }));
  await scores.saveScore(score('ds-score-num', { input: '123', output: 42 }));
  await scores.saveScore(score('ds-score-json', { input: '{"a":1}', output: '[1,2]', metadata: { m: 1 } }));
  await scores.saveScore(score('ds-score-bare', { output: 'x' }));
  await scores.saveScore(score('ds-score-over', { input: 'first', output: 'first', reason: 'old', score: 0.1 }));
  await scores.saveScore(score('ds-score-over', { output: { second: true }, score: 0.9 }));
}

export async function readDataset(store) {
  const memory = await store.getStore('memory');
  const workflows = await store.getStore('workflows');
  const scores = await store.getStore('scores');
  const out = { scores: {} };
  out.thread = await section(() => memory.getThreadById({ threadId: 'ds-thread' }));
  out.messages = await section(async () => {
    const res = await memory.listMessages({ threadId: 'ds-thread', perPage: false });
    return res.messages;
  });
  out.resources = {
    'ds-res-bare': await section(() => memory.getResourceById({ resourceId: 'ds-res-bare' })),
    'ds-res-full': await section(() => memory.getResourceById({ resourceId: 'ds-res-full' })),
  };
  out.run = await section(() => workflows.getWorkflowRunById({ runId: 'ds-run-bare', workflowName: 'ds-wf' }));
  for (const id of DATASET_SCORE_IDS) out.scores[id] = await section(() => scores.getScoreById({ id }));
  return out;
}

// A Mastra app (@mastra/memory over @mastra/libsql) reading and writing agent conversations
// in a SQLite file shared with Python (the Pydantic AI adapter's cross-read test).
//
//   node mastra_memory_pydantic_harness.mjs read FILE THREAD_ID RESOURCE_ID
//     -> {"messages": [...recall...], "ui": [...AI SDK v5 UI messages...],
//         "model": [...AI SDK v5 model messages a Mastra agent would send...]}
//   node mastra_memory_pydantic_harness.mjs write FILE THREAD_ID RESOURCE_ID
//     -> {"ok": true}: a user question and an assistant answer with a tool call and its
//        result, saved through Mastra's Memory as a Mastra agent would.
//
// Packages: @mastra/memory, @mastra/libsql, @mastra/core from $MASTRA_NPM_DIR.

import { closeStore, loadPackage, normalize, runMain, emit } from './harness_common.mjs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

async function open(file) {
  const { mod: libsql } = await loadPackage('@mastra/libsql');
  const { mod: memoryPkg } = await loadPackage('@mastra/memory');
  const store = new libsql.LibSQLStore({ id: 'pydantic-compat', url: `file:${file}` });
  await store.init();
  const memory = new memoryPkg.Memory({ storage: store, options: { lastMessages: 100 } });
  return { store, memory };
}

async function messageList() {
  const dir = path.join(process.env.MASTRA_NPM_DIR || '/tmp/mastra-npm', 'node_modules', '@mastra', 'core');
  return import(pathToFileURL(path.join(dir, 'dist', 'agent', 'message-list', 'index.js')).href);
}

async function read(file, threadId, resourceId) {
  const { store, memory } = await open(file);
  try {
    const { messages } = await memory.recall({ threadId, resourceId });
    const { MessageList } = await messageList();
    const list = new MessageList({ threadId, resourceId }).add(messages, 'memory');
    return normalize({
      messages,
      ui: list.get.all.aiV5.ui(),
      model: list.get.all.aiV5.model(),
    });
  } finally {
    await closeStore(store);
  }
}

async function write(file, threadId, resourceId) {
  const { store, memory } = await open(file);
  try {
    const t0 = Date.parse('2026-01-01T10:00:00.000Z');
    await memory.saveThread({
      thread: { id: threadId, resourceId, title: 'from mastra', createdAt: new Date(t0), updatedAt: new Date(t0) },
    });
    await memory.saveMessages({
      messages: [
        {
          id: 'mastra-user-1',
          threadId,
          resourceId,
          role: 'user',
          createdAt: new Date(t0),
          content: { format: 2, parts: [{ type: 'text', text: 'Weather in Oslo?' }], content: 'Weather in Oslo?' },
        },
        {
          id: 'mastra-assistant-1',
          threadId,
          resourceId,
          role: 'assistant',
          createdAt: new Date(t0 + 1000),
          content: {
            format: 2,
            parts: [
              { type: 'step-start' },
              {
                type: 'tool-invocation',
                toolInvocation: {
                  state: 'result',
                  toolCallId: 'mastra-call-1',
                  toolName: 'weather',
                  args: { city: 'Oslo' },
                  result: '3 degrees',
                },
              },
              { type: 'step-start' },
              { type: 'text', text: 'It is 3 degrees in Oslo.' },
            ],
          },
        },
      ],
    });
    return { ok: true };
  } finally {
    await closeStore(store);
  }
}

const [mode, file, threadId, resourceId] = process.argv.slice(2);
runMain(
  async () => {
    if (mode === 'read') emit(await read(file, threadId, resourceId));
    else if (mode === 'write') emit(await write(file, threadId, resourceId));
    else throw new Error(`unknown mode ${mode}`);
  },
  { exit: false },
);

// Real clients against a real `owlet serve`: the `ollama` and `openai` npm packages.
// Run by ctest (tests/clients/CMakeLists.txt) with:
//   OWLET_BINARY, OWLET_NPM_DIR (node_modules parent), OWLET_CHAT_MODEL, OWLET_EMBED_MODEL
// The server serves OWLET_CHAT_MODEL given by path; the clients find it in their
// model lists under its file's stem and chat with it by that name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(path.join(process.env.OWLET_NPM_DIR, 'package.json'));
const load = async (name) => import(pathToFileURL(require.resolve(name)).href);
const { Ollama } = await load('ollama');
const OpenAI = (await load('openai')).default;

const chatModelPath = process.env.OWLET_CHAT_MODEL;
const chatModel = path.basename(chatModelPath, '.gguf');  // the name /api/tags and /v1/models list
const embedModel = process.env.OWLET_EMBED_MODEL;
let server, port, home;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

before(async () => {
  port = await freePort();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'owlet-clients-'));
  server = spawn(process.env.OWLET_BINARY,
    ['serve', '--port', String(port), '--model', chatModelPath, '--threads', '2', '--parallel', '2', '--ctx-size', '1024'],
    // OWLET_WEB=never: chat is grounded in the (empty) local knowledge base; no network here.
    { env: { ...process.env, HOME: home, OWLET_MODELS: path.join(home, 'models'), OLLAMA_MODELS: path.join(home, 'ollama'),
             OWLET_WEB: 'never', OWLET_AUTO_PULL: 'false' },
      stdio: ['ignore', 'ignore', 'pipe'] });
  for (let i = 0; i < 100; i++) {
    try { const r = await fetch(`http://127.0.0.1:${port}/health`); if (r.ok) return; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('owlet serve did not come up');
});

after(() => { server.kill('SIGTERM'); fs.rmSync(home, { recursive: true, force: true }); });

test('ollama-js: list, chat, stream, generate, embed, errors', async () => {
  const ollama = new Ollama({ host: `http://127.0.0.1:${port}` });
  const list = await ollama.list();
  const listed = list.models.find((m) => m.name === chatModel);
  assert.ok(listed, `${chatModel} is listed: ${JSON.stringify(list.models)}`);
  assert.equal(listed.details.family, 'qwen2');
  assert.equal(listed.details.format, 'gguf');
  assert.match(listed.digest, /^[0-9a-f]{64}$/);
  assert.equal(listed.size, fs.statSync(chatModelPath).size);

  const opts = { num_predict: 6, temperature: 0, seed: 1 };
  const res = await ollama.chat({ model: chatModel, messages: [{ role: 'user', content: 'Why do owls hoot?' }], options: opts });
  assert.equal(res.message.role, 'assistant');
  assert.ok(res.message.content.length > 0);
  assert.equal(res.done, true);
  assert.equal(res.eval_count, 6);
  // owlet's extra fields reach the client untouched.
  assert.equal(res.route.tier, 'local');
  assert.ok(Array.isArray(res.sources));

  let streamed = '';
  let last;
  for await (const part of await ollama.chat({ model: chatModel, messages: [{ role: 'user', content: 'Why do owls hoot?' }], options: opts, stream: true })) {
    streamed += part.message.content;
    last = part;
  }
  assert.equal(streamed, res.message.content);
  assert.equal(last.done, true);
  assert.equal(last.route.tier, 'cache');  // the same question again: the answer cache

  const gen = await ollama.generate({ model: chatModel, prompt: 'Once upon a time', options: { num_predict: 4 } });
  assert.equal(typeof gen.response, 'string');

  const emb = await ollama.embed({ model: embedModel, input: ['owl', 'vole'] });
  assert.equal(emb.embeddings.length, 2);
  assert.equal(emb.embeddings[0].length, 64);

  const ps = await ollama.ps();
  assert.ok(ps.models.length >= 1);

  await assert.rejects(
    ollama.chat({ model: 'no-such-model:latest', messages: [{ role: 'user', content: 'hi' }] }),
    (err) => err.status_code === 404 && /not found/.test(err.error ?? err.message));
});

test('openai: models, chat, stream, completions, embeddings, errors', async () => {
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused' });
  const models = await client.models.list();
  assert.ok(models.data.some((m) => m.id === chatModel), `${chatModel} is listed: ${JSON.stringify(models.data)}`);

  const chat = await client.chat.completions.create({
    model: chatModel, messages: [{ role: 'user', content: 'hello' }], max_tokens: 5, temperature: 0 });
  assert.equal(chat.object, 'chat.completion');
  assert.equal(chat.choices[0].message.role, 'assistant');
  assert.equal(chat.usage.completion_tokens, 5);

  const stream = await client.chat.completions.create({
    model: chatModel, messages: [{ role: 'user', content: 'hello' }], max_tokens: 5, temperature: 0,
    stream: true, stream_options: { include_usage: true } });
  let text = '';
  let usage;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) text += chunk.choices[0].delta.content;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, chat.choices[0].message.content);
  assert.equal(usage.completion_tokens, 0);  // served from the answer cache: nothing generated
  assert.equal(chat.route.tier, 'local');

  const comp = await client.completions.create({ model: chatModel, prompt: 'Owls are', max_tokens: 3 });
  assert.equal(comp.object, 'text_completion');

  const emb = await client.embeddings.create({ model: embedModel, input: 'owl' });
  assert.equal(emb.data[0].embedding.length, 64);

  await assert.rejects(
    client.chat.completions.create({ model: chatModel, messages: [], max_tokens: 2 }),
    (err) => err.status === 400 && /messages/.test(err.message));
});

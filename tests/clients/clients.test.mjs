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
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';

const require = createRequire(path.join(process.env.OWLET_NPM_DIR, 'package.json'));
const load = async (name) => import(pathToFileURL(require.resolve(name)).href);
const { Ollama } = await load('ollama');
const OpenAI = (await load('openai')).default;

const chatModelPath = process.env.OWLET_CHAT_MODEL;
const chatModel = path.basename(chatModelPath, '.gguf');  // the name /api/tags and /v1/models list
const embedModel = process.env.OWLET_EMBED_MODEL;
// Fixtures with real chat templates, beside the chat model (tests/fixtures). A
// client names models, not files (the API refuses paths it was not configured
// with), so before() puts them in the Ollama store of the test's HOME.
const templateFixtures = { 'r1-qwen-tiny': 'r1-qwen-tiny.gguf', 'llama31-tiny': 'llama31-tiny.gguf' };
const r1Model = 'r1-qwen-tiny';
const llama31Model = 'llama31-tiny';
let server, port, home, searx, searxPort;

// A GBNF grammar (llama-server's `grammar` field) that accepts exactly `text`:
// how a random-weight model is made to say what a test needs.
const exactly = (text) => `root ::= ${JSON.stringify(text)}`;

// An Ollama store entry as `ollama pull` leaves it: the GGUF as a blob named by
// its digest, and a manifest naming it.
function installInOllamaStore(root, name, file) {
  const data = fs.readFileSync(file);
  const hex = crypto.createHash('sha256').update(data).digest('hex');
  fs.mkdirSync(path.join(root, 'blobs'), { recursive: true });
  fs.writeFileSync(path.join(root, 'blobs', `sha256-${hex}`), data);
  const dir = path.join(root, 'manifests', 'registry.ollama.ai', 'library', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest'), JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${hex}`, size: data.length }] }));
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

before(async () => {
  port = await freePort();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'owlet-clients-'));
  for (const [name, file] of Object.entries(templateFixtures))
    installInOllamaStore(path.join(home, 'ollama'), name, path.join(path.dirname(chatModelPath), file));
  // A SearxNG-shaped search API and a page on loopback, for the web search API.
  searx = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/search') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: [{ url: `http://127.0.0.1:${searxPort}/owls`, title: 'Owls',
                                           content: `Owls: ${url.searchParams.get('q')}` }] }));
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><head><title>Owls</title></head><body><p>Owls hoot at night to mark their territory.</p></body></html>');
    }
  });
  await new Promise((resolve) => searx.listen(0, '127.0.0.1', resolve));
  searxPort = searx.address().port;
  server = spawn(process.env.OWLET_BINARY,
    // The fixtures are file paths: configured here, they are names the API accepts.
    ['serve', '--port', String(port), '--threads', '2', '--parallel', '2', '--ctx-size', '1024',
     '--model', chatModelPath, '--embedding-model', embedModel],
    // OWLET_WEB=never: chat is grounded in the (empty) local knowledge base; no network here.
    { env: { ...process.env, HOME: home, OWLET_MODELS: path.join(home, 'models'), OLLAMA_MODELS: path.join(home, 'ollama'),
             OWLET_WEB: 'never', OWLET_SEARCH_PROVIDERS: 'searxng', OWLET_SEARXNG_URL: `http://127.0.0.1:${searxPort}`,
             OWLET_ALLOW_PRIVATE: '127.0.0.1', OWLET_AUTO_PULL: 'false' },
      stdio: ['ignore', 'ignore', 'pipe'] });
  for (let i = 0; i < 100; i++) {
    try { const r = await fetch(`http://127.0.0.1:${port}/health`); if (r.ok) return; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('owlet serve did not come up');
});

after(() => { server.kill('SIGTERM'); searx.close(); fs.rmSync(home, { recursive: true, force: true }); });

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
  // A factual question the router sends to the sources (here the empty local
  // knowledge base: OWLET_WEB=never); a greeting would be answered directly.
  const question = 'How many eggs does a snowy owl lay?';
  const res = await ollama.chat({ model: chatModel, messages: [{ role: 'user', content: question }], options: opts });
  assert.equal(res.message.role, 'assistant');
  assert.ok(res.message.content.length > 0);
  assert.equal(res.done, true);
  assert.equal(res.eval_count, 6);
  // owlet's extra fields reach the client untouched.
  assert.equal(res.route.tier, 'local');
  assert.ok(Array.isArray(res.sources));

  let streamed = '';
  let last;
  for await (const part of await ollama.chat({ model: chatModel, messages: [{ role: 'user', content: question }], options: opts, stream: true })) {
    streamed += part.message.content;
    last = part;
  }
  assert.equal(streamed, res.message.content);
  assert.equal(last.done, true);
  // The same question again: not from the answer cache, which keeps complete answers
  // only (this one was cut at num_predict); generated again, the same greedy text.
  assert.equal(last.route.tier, 'local');
  assert.equal(last.done_reason, 'length');

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
    model: chatModel, messages: [{ role: 'user', content: 'Where do barn owls nest?' }], max_tokens: 5, temperature: 0 });
  assert.equal(chat.object, 'chat.completion');
  assert.equal(chat.choices[0].message.role, 'assistant');
  assert.equal(chat.usage.completion_tokens, 5);

  const stream = await client.chat.completions.create({
    model: chatModel, messages: [{ role: 'user', content: 'Where do barn owls nest?' }], max_tokens: 5, temperature: 0,
    stream: true, stream_options: { include_usage: true } });
  let text = '';
  let usage;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) text += chunk.choices[0].delta.content;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, chat.choices[0].message.content);
  // Cut at max_tokens, so never cached (complete answers only): generated again.
  assert.equal(usage.completion_tokens, 5);
  assert.equal(chat.route.tier, 'local');

  const comp = await client.completions.create({ model: chatModel, prompt: 'Owls are', max_tokens: 3 });
  assert.equal(comp.object, 'text_completion');

  const emb = await client.embeddings.create({ model: embedModel, input: 'owl' });
  assert.equal(emb.data[0].embedding.length, 64);

  await assert.rejects(
    client.chat.completions.create({ model: chatModel, messages: [], max_tokens: 2 }),
    (err) => err.status === 400 && /messages/.test(err.message));
});

const weatherTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather in a city',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

test('ollama-js: think, tools round trip, capabilities, web search', async () => {
  const ollama = new Ollama({ host: `http://127.0.0.1:${port}` });
  // DeepSeek-R1-Distill-Qwen's template opens <think>: what the model writes
  // first is thought, then </think>, then the answer.
  const thought = 'The user says hi.';
  const completion = `${thought}\n</think>\n\nHello! Owls hoot at night.`;
  const think = { model: r1Model, messages: [{ role: 'user', content: 'hi' }], think: true,
                  grammar: exactly(completion), options: { num_predict: 60 }, owlet: { ground: false } };
  const res = await ollama.chat(think);
  assert.equal(res.message.thinking, thought);
  assert.equal(res.message.content, 'Hello! Owls hoot at night.');

  let thinking = '', content = '';
  for await (const part of await ollama.chat({ ...think, stream: true })) {
    assert.ok(!(part.message.thinking && part.message.content), 'thinking and content come apart');
    thinking += part.message.thinking ?? '';
    content += part.message.content;
  }
  assert.equal(thinking.trim(), thought);
  assert.equal(content, 'Hello! Owls hoot at night.');

  const show = await ollama.show({ model: r1Model });
  assert.deepEqual(show.capabilities, ['completion', 'thinking']);
  assert.deepEqual((await ollama.show({ model: llama31Model })).capabilities, ['completion', 'tools']);
  await assert.rejects(ollama.chat({ model: r1Model, messages: [{ role: 'user', content: 'hi' }], tools: [weatherTool] }),
    (err) => err.status_code === 400 && /does not support tools/.test(err.error ?? err.message));

  // Llama 3.1 calls a tool with bare JSON; `format` forces that JSON, and the
  // template's parser turns it into message.tool_calls.
  const format = { type: 'object', required: ['name', 'parameters'],
                   properties: { name: { const: 'get_weather' },
                                 parameters: { type: 'object', properties: { city: { const: 'Paris' } }, required: ['city'] } } };
  const ask = { role: 'user', content: 'Weather in Paris?' };
  const call = await ollama.chat({ model: llama31Model, messages: [ask], tools: [weatherTool], format,
                                   options: { num_predict: 120 } });
  assert.equal(call.message.tool_calls.length, 1);
  assert.equal(call.message.tool_calls[0].function.name, 'get_weather');
  assert.deepEqual(call.message.tool_calls[0].function.arguments, { city: 'Paris' });
  const reply = await ollama.chat({
    model: llama31Model, tools: [weatherTool], grammar: exactly('It is 18 C in Paris.'), options: { num_predict: 40 },
    messages: [ask, call.message, { role: 'tool', tool_name: 'get_weather', content: '18 C, sunny' }] });
  assert.equal(reply.message.content, 'It is 18 C in Paris.');
  assert.ok(reply.prompt_eval_count > call.prompt_eval_count, 'the tool result is in the prompt');

  // ollama-js posts web search to ollama.com; pointed at owlet, no account is needed.
  const web = new Ollama({ host: `http://127.0.0.1:${port}`,
                           fetch: (url, init) => fetch(String(url).replace('https://ollama.com', `http://127.0.0.1:${port}`), init) });
  const found = await web.webSearch({ query: 'owl calls', maxResults: 3 });
  assert.equal(found.results.length, 1);
  assert.equal(found.results[0].content, 'Owls: owl calls');
  const page = await web.webFetch({ url: found.results[0].url });
  assert.equal(page.title, 'Owls');
  assert.match(page.content, /mark their territory/);
});

test('openai: required tool call streamed as argument deltas; reasoning_content deltas', async () => {
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused' });
  const units = { type: 'function',
                  function: { name: 'get_weather', description: 'Weather now',
                              parameters: { type: 'object', required: ['unit'],
                                            properties: { unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } } } } };
  // tool_choice "required": the template's grammar shapes the call. Llama 3.1's
  // lets prose come first, up to a "{": a bias on "{" (token 90) starts the call
  // at once, and one on <|eot_id|> (128009) ends the turn once the call is whole.
  const stream = await client.chat.completions.create({
    model: llama31Model, messages: [{ role: 'user', content: 'Weather?' }], tools: [units], tool_choice: 'required',
    logit_bias: { 90: 50, 128009: 100 }, max_tokens: 200, seed: 3, stream: true });
  let args = '', name, id, deltas = 0, finish;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    for (const tc of choice.delta?.tool_calls ?? []) {
      assert.equal(tc.index, 0);
      if (tc.id) { id = tc.id; name = tc.function.name; }
      args += tc.function?.arguments ?? '';
      deltas++;
    }
    finish = choice.finish_reason ?? finish;
  }
  assert.match(id, /^call_/);
  assert.equal(name, 'get_weather');
  assert.ok(deltas > 2, 'arguments arrive in pieces');
  assert.ok(['celsius', 'fahrenheit'].includes(JSON.parse(args).unit), args);
  assert.equal(finish, 'tool_calls');

  // The tool's answer goes back with its call id.
  const done = await client.chat.completions.create({
    model: llama31Model, tools: [units], max_tokens: 40, grammar: exactly('It is warm.'),
    messages: [{ role: 'user', content: 'Weather?' },
               { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name, arguments: args } }] },
               { role: 'tool', tool_call_id: id, content: '24 C' }] });
  assert.equal(done.choices[0].message.content, 'It is warm.');
  assert.equal(done.choices[0].finish_reason, 'stop');

  // A reasoning model streams its thought as reasoning_content deltas.
  const thought = 'Greeting detected.';
  const rs = await client.chat.completions.create({
    model: r1Model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 60, stream: true,
    grammar: exactly(`${thought}\n</think>\n\nHi!`), owlet: { ground: false } });
  let reasoning = '', text = '', reasoningDeltas = 0;
  for await (const chunk of rs) {
    const d = chunk.choices[0]?.delta ?? {};
    if (d.reasoning_content) { reasoning += d.reasoning_content; reasoningDeltas++; }
    if (d.content) text += d.content;
  }
  assert.ok(reasoningDeltas > 1);
  assert.equal(reasoning.trim(), thought);
  assert.equal(text, 'Hi!');
});

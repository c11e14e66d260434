/** The llm node: a prompt template filled from its inputs, optional images, through the real OpenAI provider. */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { llmNode } from '../../nodes/llm/index.ts';
import { contentMarker } from '../support/fake-provider-server.ts';
import { runNode, startNodeEnv, type NodeEnv } from '../support/node-harness.ts';
import { solid } from '../media/helpers.ts';

let env: NodeEnv;
before(async () => {
  env = await startNodeEnv();
});
beforeEach(() => env.fake.reset());
after(() => env.close());

const PROMPT = 'Summarise {{note}} for {{audience}}. Facts: {{facts}}';

test('each placeholder is an input; the filled prompt is what the model gets; no images means a text-only message', async () => {
  assert.deepEqual(Object.keys(llmNode.inputsFor({ prompt: PROMPT })), ['note', 'audience', 'facts', 'images']);
  const ctx = env.context();
  const out = await runNode(
    llmNode,
    { note: 'the ward round', audience: 'the night nurse', facts: { bed: 4, allergies: ['penicillin'] } },
    { prompt: PROMPT, system: 'Be brief.', temperature: 0.3, maxTokens: 120 },
    ctx,
  );
  const expected = 'Summarise the ward round for the night nurse. Facts: {"bed":4,"allergies":["penicillin"]}';
  assert.equal(env.fake.requests.length, 1);
  const body = env.fake.requestsTo('chat')[0]!.json;
  assert.equal(body.model, 'gpt-4o-mini');
  assert.deepEqual(body.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: expected }] },
  ]);
  assert.equal(body.temperature, 0.3);
  assert.equal(body.max_completion_tokens, 120);
  assert.equal(out.text, `echo: ${expected}`);
  assert.equal(ctx.usage.length, 1);
  assert.equal(ctx.usage[0]!.model, 'gpt-4o-mini');
  assert.ok(ctx.usage[0]!.costUsd! > 0);
});

test('wired images follow the text, in order, with the detail', async () => {
  const first = await env.put(Buffer.concat([await solid(20, 20, '#ff0000').png().toBuffer(), contentMarker('first chart')]));
  const second = await env.put(Buffer.concat([await solid(20, 20, '#00ff00').png().toBuffer(), contentMarker('second chart')]));
  env.fake.script('chat', { text: 'Both charts rise.' });
  const ctx = env.context();
  const out = await runNode(llmNode, { topic: 'sales', images: [first, second] }, { prompt: 'Compare the {{topic}} charts.', detail: 'low' }, ctx);
  assert.equal(out.text, 'Both charts rise.');
  const content = env.fake.requestsTo('chat')[0]!.json.messages[0].content;
  assert.deepEqual(content.map((p: any) => p.type), ['text', 'image_url', 'image_url']);
  assert.equal(content[0].text, 'Compare the sales charts.');
  const markers = content.slice(1).map((p: any) => {
    assert.equal(p.image_url.detail, 'low');
    assert.match(p.image_url.url, /^data:image\/png;base64,/);
    return /\[\[content:([^\]]*)\]\]/.exec(Buffer.from(p.image_url.url.split(',')[1], 'base64').toString('latin1'))?.[1];
  });
  assert.deepEqual(markers, ['first chart', 'second chart']);
  assert.equal(ctx.usage[0]!.images, 2);
});

test('Anthropic: the same prompt as a Messages request with the system field', async () => {
  env.fake.script('messages', { text: 'Short answer.' });
  const out = await runNode(llmNode, { q: 'What is 2+2?' }, { provider: 'anthropic', model: 'claude-haiku-4-5', prompt: 'Q: {{q}}', system: 'Answer tersely.' }, env.context());
  assert.equal(out.text, 'Short answer.');
  const body = env.fake.requestsTo('messages')[0]!.json;
  assert.equal(body.system, 'Answer tersely.');
  assert.deepEqual(body.messages, [{ role: 'user', content: [{ type: 'text', text: 'Q: What is 2+2?' }] }]);
});

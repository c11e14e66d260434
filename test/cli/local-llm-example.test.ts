/**
 * The README's local-server example really goes to the OpenAI-compatible server named by
 * TESSERA_COMPATIBLE_BASE_URL (here the fake provider server standing in for Ollama), with no OpenAI key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { tessera } from '../support/cli.ts';
import { startFakeProviders, type FakeProviders } from '../support/fake-provider-server.ts';

let fake: FakeProviders;
before(async () => (fake = await startFakeProviders()));
after(async () => fake?.close());

test('examples/local-llm.pipeline.json runs against a local OpenAI-compatible server', async () => {
  fake.script('chat', { text: 'Ward round notes, all stable.' });
  const result = await tessera(['run', 'examples/local-llm.pipeline.json', '-i', 'text=Patients in beds 1-4 are stable.', '--json'], {
    env: {
      TESSERA_COMPATIBLE_BASE_URL: fake.openaiBaseURL,
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: '',
      TESSERA_TEMPORAL_PORT: '0',
      TESSERA_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'tessera-local-llm-')),
    },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).outputs.summary, 'Ward round notes, all stable.');
  const [sent] = fake.requestsTo('chat');
  assert.equal(sent.json.model, 'llama3.2');
  assert.match(JSON.stringify(sent.json.messages), /Summarise: Patients in beds 1-4 are stable\./);
  assert.equal(sent.auth.present, false, 'no key is sent to a local server without one');
});

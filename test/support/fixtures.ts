/** Small fixtures several test files share. */
import type { Pipeline } from '../../engine/pipeline/schema.ts';

/** input "who" -> "Hello, {{name}}!" -> output "message". */
export function greetingPipeline(name: string): Pipeline {
  return {
    format: 'tessera.pipeline/v1',
    name,
    nodes: [
      { id: 'who', type: 'input', params: { name: 'who', kind: 'text' } },
      { id: 'hello', type: 'text-template', params: { template: 'Hello, {{name}}!' } },
      { id: 'result', type: 'output', params: { name: 'message' } },
    ],
    edges: [
      { from: 'who.value', to: 'hello.name' },
      { from: 'hello.text', to: 'result.value' },
    ],
  };
}

/** load-file on `filePath` (as text) -> output "text": what the local-files rules are tested with. */
export function loadFilePipeline(filePath: string): Pipeline {
  return {
    format: 'tessera.pipeline/v1',
    name: 'reads-a-file',
    nodes: [
      { id: 'read', type: 'load-file', params: { path: filePath, kind: 'text' } },
      { id: 'out', type: 'output', params: { name: 'text' } },
    ],
    edges: [{ from: 'read.value', to: 'out.value' }],
  };
}

/** A document input and a text input; the test node test-digest hashes the document. */
export function digestPipeline(name: string): Pipeline {
  return {
    format: 'tessera.pipeline/v1',
    name,
    nodes: [
      { id: 'doc', type: 'input', params: { name: 'file', kind: 'document' } },
      { id: 'note', type: 'input', params: { name: 'note', kind: 'text', default: '-' } },
      { id: 'hash', type: 'test-digest', params: {} },
      { id: 'sha', type: 'output', params: { name: 'sha256' } },
      { id: 'echo', type: 'output', params: { name: 'note' } },
    ],
    edges: [
      { from: 'doc.value', to: 'hash.file' },
      { from: 'hash.sha256', to: 'sha.value' },
      { from: 'note.value', to: 'echo.value' },
    ],
  };
}

/** About 70 s of clinic notes when spoken by espeak-ng: long enough to need several audio chunks. */
export const CLINIC_PARAGRAPHS = [
  'The morning clinic opened at eight. The first patient was a woman of forty two who described a dry cough that had lasted three weeks.',
  'She reported no fever and no weight loss. Her sleep had been poor because the cough was worse at night.',
  'On examination her chest was clear. Oxygen saturation was ninety eight percent on room air, and her temperature was normal.',
  'The doctor suggested a trial of an inhaled steroid and asked her to return in two weeks if the cough did not improve.',
  'The second patient was a man of sixty who needed a review of his blood pressure medication. His readings at home had been stable.',
  'He mentioned mild ankle swelling in the evenings. The doctor checked his kidney function and decided to lower the dose of his calcium channel blocker.',
  'The third visit was a child with an ear infection. The parents were worried because she had been pulling at her ear all night.',
  'The ear drum was red and bulging. An antibiotic was prescribed, with advice on pain relief and fluids.',
];

/** A mono 8 kHz 16-bit WAV of silence. */
export function wavBytes(samples = 800): Buffer {
  const data = Buffer.alloc(samples * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

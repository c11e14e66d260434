/**
 * Ready-to-paste lines that start a pipeline from outside the editor: `curl` against the runs API, the
 * TypeScript client (engine/api/client/client.ts), and `curl` for a webhook URL, plain or signed
 * (X-Tessera-Timestamp and X-Tessera-Signature: sha256=HMAC of "<timestamp>.<raw body>"). Pure strings,
 * with the pipeline's input names filled in; media inputs go as files (multipart) or uploads.
 */
import { elementKind, MEDIA_KINDS, type ScalarKind } from '../../../engine/ports.ts';
import { exampleValue, type InputField } from './trigger-inputs.ts';

/** Single-quotes a word for a POSIX shell. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

const isMedia = (field: InputField) => MEDIA_KINDS.includes(elementKind(field.kind) as ScalarKind);

const SAMPLE_FILES: Record<string, string> = { image: 'image.png', audio: 'audio.m4a', document: 'document.pdf' };

/** A file name to show for a media input: "./note.m4a"-like, by kind. */
function sampleFile(field: InputField): string {
  return `./${field.name}-${SAMPLE_FILES[elementKind(field.kind)] ?? 'file'}`;
}

/** The inputs as a JSON object of example values (media inputs left out: they go as files). */
function exampleJson(fields: InputField[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => !isMedia(f)).map((f) => [f.name, exampleValue(f)]));
}

/** The multipart fields of a form: files for media inputs, literal strings for the others. */
function formArgs(fields: InputField[]): string[] {
  return fields.map((f) => {
    if (isMedia(f)) return `-F ${shellQuote(`${f.name}=@${sampleFile(f)}`)}`;
    const value = exampleValue(f);
    return `--form-string ${shellQuote(`${f.name}=${typeof value === 'string' && elementKind(f.kind) === 'text' ? value : JSON.stringify(value)}`)}`;
  });
}

export interface CallContext {
  /** The API's origin, e.g. http://127.0.0.1:8080. */
  origin: string;
  pipelineId: string;
  fields: InputField[];
  /** The API requires keys: the lines send `Authorization: Bearer $TESSERA_KEY`. */
  keyRequired: boolean;
}

const KEY_HEADER = '-H "Authorization: Bearer $TESSERA_KEY"';

/** `curl` that starts a run and waits up to 60 s for its outputs (JSON, or multipart when there are media inputs). */
export function runCurl(ctx: CallContext): string {
  const url = `${ctx.origin}/api/v1/pipelines/${encodeURIComponent(ctx.pipelineId)}/runs`;
  const lines = ['curl -s'];
  if (ctx.keyRequired) lines.push(KEY_HEADER);
  if (ctx.fields.some(isMedia)) {
    lines.push(...formArgs(ctx.fields));
    lines.push(shellQuote(`${url}?wait=60`));
  } else {
    lines.push(`-H 'content-type: application/json'`);
    lines.push(`-d ${shellQuote(JSON.stringify({ inputs: exampleJson(ctx.fields), wait: 60 }))}`);
    lines.push(url);
  }
  return lines.join(' \\\n  ');
}

/** TypeScript with the typed client: start a run, wait for it, print its outputs. */
export function clientSnippet(ctx: CallContext): string {
  const entries = ctx.fields.map((f) => {
    const key = /^[A-Za-z_$][\w$]*$/.test(f.name) ? f.name : JSON.stringify(f.name);
    if (isMedia(f)) return `    ${key}: await api.uploadBlob(${JSON.stringify(sampleFile(f))}),`;
    return `    ${key}: ${JSON.stringify(exampleValue(f))},`;
  });
  return [
    `// the typed client, exported as tessera/client (install Tessera's package; run with tsx)`,
    `import { TesseraClient } from 'tessera/client';`,
    '',
    ...(ctx.keyRequired
      ? [`const api = new TesseraClient({ server: ${JSON.stringify(ctx.origin)}, token: process.env.TESSERA_KEY });`]
      : ['// when the API requires keys, add token: process.env.TESSERA_KEY', `const api = new TesseraClient({ server: ${JSON.stringify(ctx.origin)} });`]),
    `const started = await api.startRun(${JSON.stringify(ctx.pipelineId)}, {`,
    entries.length ? `  inputs: {\n${entries.join('\n')}\n  },` : '  inputs: {},',
    '  wait: 60, // seconds',
    '});',
    'const run = started.done ? started.run : await api.waitForRun(started.id);',
    'console.log(run.status, await api.resolveValues(run.outputs ?? {}));',
  ].join('\n');
}

/** `curl` for an unsigned webhook: the JSON body's keys are input names (multipart with files for media inputs). */
export function webhookCurl(url: string, fields: InputField[]): string {
  const lines = ['curl -s'];
  if (fields.some(isMedia)) lines.push(...formArgs(fields));
  else lines.push(`-H 'content-type: application/json'`, `-d ${shellQuote(JSON.stringify(exampleJson(fields)))}`);
  lines.push(shellQuote(url));
  return lines.join(' \\\n  ');
}

/** Shell lines that sign a JSON call to a signed webhook with openssl and send it. */
export function signedWebhookCurl(url: string, fields: InputField[], secret?: string): string {
  return [
    `SECRET=${secret ? shellQuote(secret) : "'…the secret…'"}`,
    `body=${shellQuote(JSON.stringify(exampleJson(fields)))}; ts=$(date +%s)`,
    `sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')`,
    `curl -s -H 'content-type: application/json' -H "X-Tessera-Timestamp: $ts" -H "X-Tessera-Signature: sha256=$sig" \\`,
    `  --data-binary "$body" ${shellQuote(url)}`,
  ].join('\n');
}

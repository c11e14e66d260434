/** docs/errors.md documents exactly the codes of ERROR_CODES, each with its HTTP status and a fix. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../../engine/errors.ts';

const doc = readFileSync(fileURLToPath(new URL('../../docs/errors.md', import.meta.url)), 'utf8');

/** The catalogue's sections: every level-3 heading, with the text up to the next heading. */
function sections(markdown: string): { heading: string; body: string }[] {
  const parts = markdown.split(/^### /m).slice(1);
  return parts.map((part) => {
    const newline = part.indexOf('\n');
    const heading = part.slice(0, newline).trim();
    const body = part.slice(newline + 1).split(/^#{1,3} /m)[0];
    return { heading, body };
  });
}

const documented = sections(doc);
const codeOf = (heading: string) => /^`([A-Z][A-Z0-9_]*)`$/.exec(heading)?.[1];

test('every level-3 heading of docs/errors.md is one code in backticks', () => {
  assert.ok(documented.length > 0, 'docs/errors.md has no ### sections');
  for (const { heading } of documented) assert.ok(codeOf(heading), `heading "### ${heading}" is not of the form \`CODE\``);
});

test('every code in ERROR_CODES is documented', () => {
  const headings = new Set(documented.map((s) => codeOf(s.heading)));
  const missing = Object.keys(ERROR_CODES).filter((code) => !headings.has(code));
  assert.deepEqual(missing, [], `add a "### \`CODE\`" section to docs/errors.md for: ${missing.join(', ')}`);
});

test('docs/errors.md documents no code that does not exist, and none twice', () => {
  const codes = documented.map((s) => codeOf(s.heading)!);
  const unknown = codes.filter((code) => !Object.hasOwn(ERROR_CODES, code));
  assert.deepEqual(unknown, [], `docs/errors.md documents codes that are not in ERROR_CODES: ${unknown.join(', ')}`);
  const twice = codes.filter((code, i) => codes.indexOf(code) !== i);
  assert.deepEqual(twice, [], `documented more than once: ${twice.join(', ')}`);
});

test('each code section gives the right HTTP status, meaning, when and fix', () => {
  for (const { heading, body } of documented) {
    const code = codeOf(heading) as keyof typeof ERROR_CODES;
    if (!Object.hasOwn(ERROR_CODES, code)) continue; // reported by the test above
    const status = /\*\*HTTP status:\*\*\s*(\d{3})/.exec(body)?.[1];
    assert.equal(Number(status), ERROR_CODES[code].status, `${code}: HTTP status in docs is ${status}, in ERROR_CODES ${ERROR_CODES[code].status}`);
    for (const label of ['Meaning', 'When', 'Fix']) {
      assert.match(body, new RegExp(`\\*\\*${label}:\\*\\*\\s+\\S`), `${code}: missing "**${label}:**"`);
    }
  }
});

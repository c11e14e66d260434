/**
 * docs/benchmarks.md is prose written by hand with generated blocks in it: each part of the benchmark
 * owns the block between `<!-- bench:<id> -->` and `<!-- /bench:<id> -->`, so running one part replaces
 * its block and leaves the others (and their dates) as they were. The goals block is rebuilt from the
 * goal tables of all part blocks, whenever they were measured.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Goal } from './parts.ts';
import { table } from './report.ts';

const GOAL_HEADER = ['Goal (issue 15)', 'Measured', 'Met'];

const open = (id: string) => `<!-- bench:${id} -->`;
const close = (id: string) => `<!-- /bench:${id} -->`;

/** The goal table written at the end of a part's block (and read back by `goalsBlock`). */
export function goalTable(goals: Goal[]): string {
  return table(GOAL_HEADER, goals.map((g) => [g.goal, g.measured, g.met ? 'yes' : '**no**']));
}

/** Replaces (or, when it is not there yet, adds before `## Findings`) the block of each id. */
export function writeBlocks(file: string, blocks: Map<string, string>, order: string[]): void {
  let text = readFileSync(file, 'utf8');
  for (const [id, content] of blocks) {
    const wrapped = `${open(id)}\n${content.trim()}\n${close(id)}`;
    const start = text.indexOf(open(id));
    const end = text.indexOf(close(id));
    if (start >= 0 && end > start) {
      text = text.slice(0, start) + wrapped + text.slice(end + close(id).length);
      continue;
    }
    // A new block goes after the block of the part before it, else before the findings.
    const before = order.slice(0, order.indexOf(id)).reverse().find((other) => text.includes(close(other)));
    const at = before ? text.indexOf(close(before)) + close(before).length : text.indexOf('\n## Findings');
    text = at >= 0 ? `${text.slice(0, at)}\n\n${wrapped}\n${text.slice(at)}` : `${text.trimEnd()}\n\n${wrapped}\n`;
  }
  writeFileSync(file, rebuildGoals(text, order));
}

/** The goals block: the goal rows of every part block, in the parts' order, with each part's date. */
function rebuildGoals(text: string, order: string[]): string {
  const rows: string[][] = [];
  for (const id of order) {
    const start = text.indexOf(open(id));
    const end = text.indexOf(close(id));
    if (start < 0 || end < start) continue;
    const block = text.slice(start, end);
    const date = /^Measured (\S+)/m.exec(block)?.[1] ?? '?';
    const lines = block.split('\n');
    const header = lines.findIndex((l) => l.startsWith(`| ${GOAL_HEADER[0]}`));
    if (header < 0) continue;
    for (const line of lines.slice(header + 2)) {
      if (!line.startsWith('|')) break;
      rows.push([...line.slice(1, -1).split(' | ').map((c) => c.trim()), `[${id}](#${id}) ${date}`]);
    }
  }
  if (!text.includes(open('goals'))) return text;
  const goals = `${open('goals')}\n${table([...GOAL_HEADER, 'Part, measured'], rows)}\n${close('goals')}`;
  return text.slice(0, text.indexOf(open('goals'))) + goals + text.slice(text.indexOf(close('goals')) + close('goals').length);
}

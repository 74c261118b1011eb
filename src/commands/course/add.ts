import type { Command } from 'commander';
import { inContext, type CommandContext } from '../../cli/context';
import { line, paint } from '../../cli/io';
import { examples } from '../../cli/options';

export interface AddOptions {
  title: string;
  owner?: string;
  language?: string;
}

export function define(course: Command): void {
  const add = course
    .command('add <code>')
    .description('create a course')
    .requiredOption('--title <title>', 'the course title')
    .option('--owner <user>', 'the user who owns the course (default: none)')
    .option('--language <code>', 'the course language: ISO code or Chamilo name (default: en)')
    .action(inContext((ctx, code: string, opts: AddOptions) => runCourseAdd(ctx, code, opts)));
  examples(add, ['roster course add C101 --title "Introduction to algebra" --owner ada', 'roster course add PHYS2 --title "Physique 2" --language french']);
}

export async function runCourseAdd(ctx: CommandContext, code: string, opts: AddOptions): Promise<void> {
  const { addCourse } = await import('../../core/courses');
  const created = await addCourse(ctx, { code, title: opts.title, owner: opts.owner, language: opts.language });
  if (ctx.json) return line(ctx.io.stdout, JSON.stringify(created, null, 2));
  line(
    ctx.io.stdout,
    `${paint(ctx.io, 'green', 'added')} course ${created.code} "${created.title}" (id:${created.id}, ${created.language}${created.owner ? `, owner ${created.owner.username}` : ''})`,
  );
}

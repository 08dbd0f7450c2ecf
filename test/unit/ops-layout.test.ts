import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOps, usage } from '../../src/ops/cli.js';

const root = new URL('../../src/ops/', import.meta.url).pathname;
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]));

describe('the ops CLI', () => {
  it('is one file per command, each named for it and listed in the help made from them', async () => {
    const commandFiles = readdirSync(join(root, 'commands')).filter((name) => name.endsWith('.ts'));
    expect(commandFiles.length).toBeGreaterThanOrEqual(23);
    for (const file of commandFiles) {
      const name = file.replace(/\.ts$/, '');
      const text = readFileSync(join(root, 'commands', file), 'utf8');
      expect(text, file).toContain(`name: '${name}',`);
      expect(usage, file).toMatch(new RegExp(`^  ${name}( |$)`, 'm'));
      const out: string[] = [];
      expect(await runOps([name, '--help'], {}, { out: (line) => out.push(line), err: (line) => out.push(line) }), file).toBe(0);
      expect(out.join('\n'), file).toMatch(new RegExp(`^  ${name}`));
    }
  });

  it('never reaches into the Lambda handlers: the wiring it shares with them lives below both', () => {
    for (const file of files(root)) {
      const imports = [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((match) => match[1]!);
      expect(imports.filter((path) => path.includes('/handlers/')), file).toEqual([]);
    }
  });
});

it('repeats no block of six lines or more anywhere in src/ops (jscpd)', async () => {
  const jscpd = new URL('../../node_modules/.bin/jscpd', import.meta.url).pathname;
  const run = await promisify(execFile)(jscpd, ['--min-lines', '6', '--reporters', 'console', '--exit-code', '1', root]).catch(
    (failure: { code: number; stdout: string }) => ({ stdout: failure.stdout, code: failure.code }),
  );
  expect('code' in run ? run.stdout : '').toBe('');
  expect(run.stdout).toMatch(/Found 0 clones/);
});

/**
 * `npx tsx bench/bundle.ts [handler …]`: each Lambda handler bundled as the stack bundles it (esbuild, ESM, node22,
 * minified, the same externals), its size, and its cold import: a fresh Node process importing the bundle, the median
 * of seven. What the curator's cold start pays for its code, apart from the network.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { lambdaBundle } from '../infra/constructs/node-function.js';

// BUNDLE_ROOT measures another checkout (a worktree of an earlier commit) with this script.
const root = process.env.BUNDLE_ROOT ?? fileURLToPath(new URL('../', import.meta.url));
const handlers = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['src/handlers/curator.ts', 'src/handlers/ops-summary.ts', 'src/handlers/sendgrid-webhook.ts'];
const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

try {
  console.log('handler                              bundle KB   cold import ms (median of 7)');
  for (const handler of handlers) {
    const outfile = join(dir, handler.replaceAll('/', '_').replace(/\.ts$/, ''), 'index.mjs');
    try {
      statSync(join(root, handler));
    } catch {
      console.log(`${handler.padEnd(36)} (not in this tree)`);
      continue;
    }
    await build({
      entryPoints: [join(root, handler)],
      bundle: true,
      platform: 'node',
      minify: true,
      ...lambdaBundle,
      mainFields: [...lambdaBundle.mainFields],
      external: [...lambdaBundle.external],
      banner: { js: lambdaBundle.banner },
      outfile,
      logLevel: 'silent',
    });
    const times: number[] = [];
    for (let run = 0; run < 7; run += 1) {
      const probe = spawnSync(process.execPath, ['--input-type=module', '-e', `const t = performance.now(); await import(${JSON.stringify(outfile)}); console.log(performance.now() - t);`], {
        encoding: 'utf8',
        env: { ...process.env, CURATOR_ENV: 'staging' },
      });
      times.push(Number(probe.stdout.trim().split('\n').at(-1)));
    }
    console.log(`${handler.padEnd(36)} ${String(Math.round(statSync(outfile).size / 1024)).padStart(9)}   ${median(times).toFixed(0).padStart(6)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

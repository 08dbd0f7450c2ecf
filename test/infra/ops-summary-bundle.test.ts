import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, expect, it } from 'vitest';
import { lambdaBundle } from '../../infra/constructs/node-function.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ops-summary-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('draws the monthly charts from a bundle with only its copied assets beside it, as in Lambda (no node_modules, no system font)', async () => {
  // Bundled as the stack bundles the ops summary function (ESM, node22), then run from a folder with nothing else.
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    `import { renderChartPng } from ${JSON.stringify(join(root, 'src/ops-summary/charts/render-png.ts'))};
     import { trendCharts } from ${JSON.stringify(join(root, 'src/ops-summary/charts/trend-charts.ts'))};
     const credits = [{ day: '2026-11-28', kind: 'expired', usd: 27 }, { day: '2026-11-28', kind: 'issued: referral', usd: 50 }];
     const png = await renderChartPng(trendCharts({ email: [], credits, vetoes: [] })[0].spec);
     process.stdout.write(Buffer.from(png).toString('base64'));`,
  );
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    minify: true,
    ...lambdaBundle,
    mainFields: [...lambdaBundle.mainFields],
    external: [...lambdaBundle.external],
    banner: { js: lambdaBundle.banner },
    outfile: join(dir, 'out', 'index.mjs'),
    logLevel: 'silent',
  });
  copyFileSync(join(root, 'node_modules/@resvg/resvg-wasm/index_bg.wasm'), join(dir, 'out', 'resvg.wasm'));
  copyFileSync(join(root, 'node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf'), join(dir, 'out', 'DejaVuSans.ttf'));
  const run = spawnSync(process.execPath, [join(dir, 'out', 'index.mjs')], { cwd: join(dir, 'out'), encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  expect(run.stderr).toBe('');
  const png = Buffer.from(run.stdout, 'base64');
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  // Text drawn with the embedded font makes the image markedly larger than the bars alone would.
  expect(png.length).toBeGreaterThan(20_000);
  expect(readFileSync(join(dir, 'out', 'index.mjs'), 'utf8')).not.toContain('node_modules/dejavu-fonts-ttf');
}, 60_000);

it("keeps the charts out of the curator's bundle: no vega, no resvg in what its cold start loads", async () => {
  const result = await build({
    entryPoints: [join(root, 'src/handlers/curator.ts')],
    bundle: true,
    platform: 'node',
    ...lambdaBundle,
    mainFields: [...lambdaBundle.mainFields],
    external: [...lambdaBundle.external],
    banner: { js: lambdaBundle.banner },
    write: false,
    metafile: true,
    outfile: join(dir, 'curator', 'index.mjs'),
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.some((input) => input.includes('src/handlers/curator.ts'))).toBe(true);
  expect(inputs.filter((input) => /node_modules\/(vega|@resvg|dejavu)/.test(input) || input.includes('src/ops-summary/charts'))).toEqual([]);
}, 60_000);

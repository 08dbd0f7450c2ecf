import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { chartFont } from './trend-charts.js';

/**
 * Where an asset is: beside the bundled module in Lambda (the stack copies it there), else in node_modules. Pure
 * JavaScript and WebAssembly only: nothing to build natively for arm64.
 */
function asset(bundled: string, module: string): Buffer {
  const beside = fileURLToPath(new URL(`./${bundled}`, import.meta.url));
  return readFileSync(existsSync(beside) ? beside : createRequire(import.meta.url).resolve(module));
}

/** The renderer's WebAssembly and its one font, loaded once per container. */
let ready: Promise<Buffer> | null = null;
function fontReady(): Promise<Buffer> {
  ready ??= (async () => {
    await initWasm(asset('resvg.wasm', '@resvg/resvg-wasm/index_bg.wasm'));
    return asset('DejaVuSans.ttf', 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
  })().catch((error: unknown) => {
    ready = null;
    throw error;
  });
  return ready;
}

/**
 * A Vega-Lite chart as a PNG: compiled by vega-lite, laid out headless by vega as SVG, rasterised by resvg (WASM)
 * with the embedded DejaVu Sans at twice the size, so it stays sharp in a mail client.
 *
 * @example
 * const png = await renderChartPng(trendCharts(trends)[0].spec);
 */
export async function renderChartPng(spec: Readonly<Record<string, unknown>>): Promise<Uint8Array> {
  const font = await fontReady();
  const view = new vega.View(vega.parse(compile(spec as unknown as TopLevelSpec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return new Resvg(svg, { font: { fontBuffers: [font], defaultFontFamily: chartFont, loadSystemFonts: false }, fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
  } finally {
    view.finalize();
  }
}

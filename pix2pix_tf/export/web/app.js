// Runs an exported pix2pix-tf generator (.tflite) in the page with LiteRT.js.
//
// Served by `python -m pix2pix_tf serve --model EXPORT_DIR`, which lists the folder's
// .tflite files and their metadata at models.json. The model's own metadata says how
// to feed it: its `preprocessor` (the inference contract of pix2pix_tf/translator.py:
// channels or Lab lightness, resize or crop, range), applied by ./preprocess.js exactly
// as Python applies it; a uint8 model takes those values as pixels 0-255 and returns
// pixels (the normalisation is inside its integer graph), a float model takes [-1, 1].
//
// Query parameters: model=NAME.tflite, accelerator=wasm|webgpu, image=URL (shown and
// translated at start), report=1 (POST the output pixels and the latency to
// /result: the browser test uses it).
import {loadAndCompile, loadLiteRt, Tensor} from '@litertjs/core';

import {fallbackPreprocessor, prepare, toPixels, toUint8} from './preprocess.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const status = (text) => { $('status').textContent = text; };

// Pixels as stored in the file: no colour management, no premultiplied alpha.
const BITMAP = {colorSpaceConversion: 'none', premultiplyAlpha: 'none'};

let models = [];
let compiled = null;
let current = null;  // {name, metadata, accelerator}
let lastImage = null;

function describe(entry) {
  const m = entry.metadata || {};
  return m.description || entry.name;
}

async function compile(name, accelerator) {
  if (current && current.name === name && current.accelerator === accelerator) return;
  status(`Compiling ${name} for ${accelerator}…`);
  if (compiled) compiled.delete();
  const t0 = performance.now();
  compiled = await loadAndCompile(`./models/${encodeURIComponent(name)}`, {
    accelerator,
    cpuOptions: {numThreads: self.crossOriginIsolated ? navigator.hardwareConcurrency : 1},
  });
  const entry = models.find((m) => m.name === name);
  current = {name, accelerator, metadata: entry.metadata || {}};
  status(`${describe(entry)}\ncompiled in ${(performance.now() - t0).toFixed(0)} ms`);
}

// The model's input tensor, and its preprocessor (from its metadata).
function inputSpec() {
  const detail = compiled.getInputDetails()[0];
  const [, h, w, c] = Array.from(detail.shape);
  const pre = current.metadata.preprocessor || fallbackPreprocessor(detail.shape);
  return {h, w, c, dtype: detail.dtype, pre};
}

// The image's own RGBA pixels at its own size (no resampling by the canvas), and the
// input canvas showing the image.
function readPixels(source) {
  const canvas = $('input');
  canvas.width = source.width;
  canvas.height = source.height;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(source, 0, 0);
  return ctx.getImageData(0, 0, source.width, source.height).data;
}

function toInputTensor(source, spec) {
  const x = prepare(readPixels(source), source.height, source.width, spec.pre);
  const values = spec.dtype === 'uint8' ? toUint8(x) : x;
  return {tensor: new Tensor(values, [1, spec.h, spec.w, spec.c]), values};
}

// The output at the model's size, shown at the input's aspect ratio (a "resize" model's
// output stands for the whole image; Python resizes it back the same way).
function drawOutput(rgb, h, w, c, aspect) {
  const canvas = $('output');
  canvas.width = w;
  canvas.height = h;
  canvas.style.aspectRatio = String(current.metadata.preprocessor?.fit === 'crop' ? w / h
                                                                                  : aspect);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < 3; k++) image.data[4 * i + k] = rgb[c * i + (c === 3 ? k : 0)];
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

async function translate(source) {
  lastImage = source;
  const spec = inputSpec();
  const {tensor: input, values: inputValues} = toInputTensor(source, spec);
  // One warm-up run (first-run allocations, WebGPU shader compilation), then timed runs.
  const runOnce = async () => {
    const start = performance.now();
    const results = await compiled.run(input);
    const cpu = await results[0].moveTo('wasm');
    const values = cpu.toTypedArray();
    const elapsed = performance.now() - start;
    results.forEach((t) => t.delete());
    cpu.delete();
    return {values, elapsed};
  };
  let {values} = await runOnce();
  const times = [];
  for (let i = 0; i < 5; i++) {
    const r = await runOnce();
    values = r.values;
    times.push(r.elapsed);
  }
  input.delete();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const outChannels = compiled.getOutputDetails()[0].shape[3];
  const rgb = toPixels(values);
  drawOutput(rgb, spec.h, spec.w, outChannels, source.width / source.height);
  const threads = self.crossOriginIsolated ? navigator.hardwareConcurrency : 1;
  status(`${describe(models.find((m) => m.name === current.name))}\n` +
         `${current.accelerator}: ${median.toFixed(1)} ms per image (median of 5, ` +
         `${threads} thread(s))`);
  return {pixels: rgb, latency_ms: median, times_ms: times, threads,
          accelerator: current.accelerator, model: current.name,
          shape: [spec.h, spec.w, outChannels], input: Array.from(inputValues),
          preprocessor: spec.pre};
}

async function loadImage(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return createImageBitmap(await response.blob(), BITMAP);
}

async function report(result) {
  await fetch('./result', {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({...result, pixels: Array.from(result.pixels)}),
  });
}

async function main() {
  const response = await fetch('./models.json');
  models = await response.json();
  if (!models.length) throw new Error('no .tflite file in the served folder');
  for (const m of models) $('model').add(new Option(`${m.name} — ${describe(m)}`, m.name));
  $('model').value = params.get('model') || models[0].name;
  $('accelerator').value = params.get('accelerator') || 'wasm';
  // Threads need cross-origin isolation (the server sends COOP/COEP headers).
  await loadLiteRt('./node_modules/@litertjs/core/wasm/', {threads: self.crossOriginIsolated});
  await compile($('model').value, $('accelerator').value);

  const rerun = async () => {
    await compile($('model').value, $('accelerator').value);
    if (lastImage) await translate(lastImage);
  };
  $('model').onchange = () => rerun().catch(fail);
  $('accelerator').onchange = () => rerun().catch(fail);
  $('file').onchange = async (e) => {
    if (e.target.files[0]) await translate(await createImageBitmap(e.target.files[0], BITMAP));
  };
  const drop = $('drop');
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
  drop.ondragleave = () => drop.classList.remove('over');
  drop.ondrop = async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer.files[0];
    if (file) await translate(await createImageBitmap(file, BITMAP)).catch(fail);
  };
  if (params.get('image')) {
    const result = await translate(await loadImage(params.get('image')));
    if (params.get('report')) await report(result);
  }
}

function fail(error) {
  status(`error: ${error.message || error}`);
  if (params.get('report')) {
    fetch('./result', {method: 'POST', headers: {'Content-Type': 'application/json'},
                       body: JSON.stringify({error: String(error.message || error)})});
  }
}

main().catch(fail);

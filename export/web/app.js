// Runs an exported pix2pix-tf generator (.tflite) in the page with LiteRT.js.
//
// Served by `python -m pix2pix_tf serve --model EXPORT_DIR` (which lists the folder's
// .tflite files and their metadata at models.json), or built as a static, offline web
// app by `python -m pix2pix_tf export web` (models.json written once; a service worker,
// sw.js, caches everything). The model's own metadata says how to feed it: its
// `preprocessor` (the inference contract of pix2pix_tf/translator.py: channels or Lab
// lightness, resize or crop, range), applied by ./preprocess.js exactly as Python
// applies it; a uint8 model takes those values as pixels 0-255 and returns pixels (the
// normalisation is inside its integer graph), a float model takes [-1, 1].
//
// A label-map model (its metadata has a `palette`: a run on the built-in set) also gets
// a drawing mode: a finger paints the label map at the model's own pixels and each
// stroke is translated as it is drawn.
//
// Query parameters: model=NAME.tflite, accelerator=auto|wasm|webgpu, threads=N,
// draw=1 (start in the drawing mode), image=URL (shown and translated at start), report=1 (POST the output pixels and the latency to /result:
// the Python server's browser test uses it). Every result is also kept in
// `window.pix2pix.result` (the static site's tests read it there).
import {loadAndCompile, loadLiteRt, Tensor} from '@litertjs/core';

import {fallbackPreprocessor, prepare, toPixels, toUint8} from './preprocess.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const status = (text) => { $('status').textContent = text; };

// Pixels as stored in the file: no colour management, no premultiplied alpha; upright
// (EXIF orientation applied, as Python's decode does).
const BITMAP = {colorSpaceConversion: 'none', premultiplyAlpha: 'none',
                imageOrientation: 'from-image'};
const TIMED_RUNS = 5;

// What the page did, for tests and for anyone in the console.
const state = window.pix2pix = {ready: false, result: null, error: null,
                                live: {running: false, frames: 0, fps: 0}};

let models = [];
let compiled = null;
let current = null;  // {name, metadata, accelerator}
let lastImage = null;
let busy = Promise.resolve();  // one translation at a time (the model is shared)

function describe(entry) {
  const m = entry.metadata || {};
  return m.description || entry.name;
}

// One per core when the page is cross-origin isolated (else WebAssembly has no threads);
// `threads=N` in the query caps it (the phone benchmark times one thread).
const threads = () => Math.max(1, Math.min(Number(params.get('threads')) || Infinity,
                                           self.crossOriginIsolated ? navigator.hardwareConcurrency : 1));

// "auto": WebGPU when the browser has an adapter (phones with Chrome 121+ on Android),
// else WebAssembly on the CPU.
async function resolveAccelerator(choice) {
  if (choice !== 'auto') return choice;
  try {
    if (navigator.gpu && await navigator.gpu.requestAdapter()) return 'webgpu';
  } catch (e) { /* no adapter: the CPU */ }
  return 'wasm';
}

async function compile(name, choice) {
  let accelerator = await resolveAccelerator(choice);
  if (current && current.name === name && current.accelerator === accelerator) return;
  status(`Compiling ${name} for ${accelerator}…`);
  if (compiled) compiled.delete();
  compiled = null;
  const t0 = performance.now();
  const load = (acc) => loadAndCompile(`./models/${encodeURIComponent(name)}`, {
    accelerator: acc,
    cpuOptions: {numThreads: threads()},
  });
  try {
    compiled = await load(accelerator);
  } catch (e) {
    if (choice !== 'auto' || accelerator === 'wasm') throw e;
    // "auto" found a GPU that cannot run this model: the CPU.
    console.warn(`webgpu: ${e.message || e}; using wasm`);
    accelerator = 'wasm';
    compiled = await load(accelerator);
  }
  const entry = models.find((m) => m.name === name);
  current = {name, accelerator, metadata: entry.metadata || {}, size: entry.size_bytes};
  showInfo();
  offerDrawing();
  status(`${describe(entry)}\ncompiled in ${(performance.now() - t0).toFixed(0)} ms`);
}

// Model size, precision, input size, accelerator and the last latency, on one line.
function showInfo(latency) {
  const m = current.metadata;
  const [h, w] = m.preprocessor?.image_size || inputSpec().pre.image_size;
  const parts = [`${(current.size / 1e6).toFixed(1)} MB`, m.quantization || 'float',
                 `${w}×${h} input`, `${current.accelerator}, ${threads()} thread(s)`];
  if (latency !== undefined) parts.push(`${latency.toFixed(1)} ms per image`);
  $('info').textContent = parts.join(' · ');
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

// One inference: the output values and the time it took (to the values in CPU memory).
async function runOnce(input) {
  const start = performance.now();
  const results = await compiled.run(input);
  const cpu = await results[0].moveTo('wasm');
  const values = cpu.toTypedArray();
  const elapsed = performance.now() - start;
  results.forEach((t) => t.delete());
  cpu.delete();
  return {values, elapsed};
}

// A still image: shown after the first run, then timed (median of TIMED_RUNS runs; the
// first run pays for allocations and WebGPU's shader compilation).
async function translate(source) {
  lastImage = source;
  const spec = inputSpec();
  const {tensor: input, values: inputValues} = toInputTensor(source, spec);
  const outChannels = compiled.getOutputDetails()[0].shape[3];
  const aspect = source.width / source.height;
  let {values} = await runOnce(input);
  drawOutput(toPixels(values), spec.h, spec.w, outChannels, aspect);
  status(`${describe(models.find((m) => m.name === current.name))}\ntiming…`);
  const times = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    const r = await runOnce(input);
    values = r.values;
    times.push(r.elapsed);
  }
  input.delete();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const rgb = toPixels(values);
  drawOutput(rgb, spec.h, spec.w, outChannels, aspect);
  await offerResult();
  showInfo(median);
  status(`${describe(models.find((m) => m.name === current.name))}\n` +
         `${current.accelerator}: ${median.toFixed(1)} ms per image (median of ` +
         `${TIMED_RUNS}, ${threads()} thread(s))`);
  const result = {pixels: rgb, latency_ms: median, times_ms: times, threads: threads(),
                  accelerator: current.accelerator, model: current.name,
                  shape: [spec.h, spec.w, outChannels], input: Array.from(inputValues),
                  preprocessor: spec.pre};
  state.result = result;
  return result;
}

// The output as a PNG: a download link, and the Web Share API's sheet where the
// browser can share files (Android Chrome, iOS Safari).
let downloadUrl = null;
async function offerResult() {
  const blob = await new Promise((resolve) => $('output').toBlob(resolve, 'image/png'));
  if (!blob) return;
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(blob);
  $('download').href = downloadUrl;
  $('download').classList.remove('hidden');
  const file = new File([blob], 'pix2pix.png', {type: 'image/png'});
  const canShare = navigator.canShare && navigator.canShare({files: [file]});
  $('share').classList.toggle('hidden', !canShare);
  $('share').onclick = () => navigator.share({files: [file], title: 'pix2pix-tf'})
    .catch(() => { /* the user closed the sheet */ });
}

// Live mode: camera frames translated one after another, frames per second shown.
let stream = null;
let liveLoop = null;
async function startLive() {
  stream = await navigator.mediaDevices.getUserMedia(
    {video: {facingMode: 'environment', width: {ideal: 640}}, audio: false});
  const video = $('video');
  video.srcObject = stream;
  await video.play();
  state.live = {running: true, frames: 0, fps: 0};
  $('live').textContent = 'Stop camera';
  $('download').classList.add('hidden');
  $('share').classList.add('hidden');
  liveLoop = frames(video);
  liveLoop.catch(fail);
}

async function frames(video) {
  const spec = inputSpec();
  const outChannels = compiled.getOutputDetails()[0].shape[3];
  const stamps = [];
  while (state.live.running) {
    const frame = await createImageBitmap(video, BITMAP);
    const {tensor} = toInputTensor(frame, spec);
    const {values, elapsed} = await runOnce(tensor);
    tensor.delete();
    drawOutput(toPixels(values), spec.h, spec.w, outChannels, frame.width / frame.height);
    frame.close();
    stamps.push(performance.now());
    if (stamps.length > 20) stamps.shift();  // the rate of the last 20 frames
    state.live.frames += 1;
    if (stamps.length > 1) {
      state.live.fps = (stamps.length - 1) * 1000 / (stamps[stamps.length - 1] - stamps[0]);
    }
    $('outcaption').textContent =
      `output · live ${state.live.fps.toFixed(1)} fps (${current.accelerator})`;
    showInfo(elapsed);
    status(`live: ${state.live.fps.toFixed(1)} frames/s, ${elapsed.toFixed(1)} ms per ` +
           `inference on ${current.accelerator}`);
    // Let the page paint and take input between frames.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

// Stops the camera once the frame in flight is done (the model may then be swapped).
async function stopLive() {
  state.live.running = false;
  if (liveLoop) await liveLoop.catch(() => {});
  liveLoop = null;
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  $('live').textContent = 'Live camera';
  $('outcaption').textContent = 'output';
}

// --- Drawing mode -------------------------------------------------------------------
// The label map is an ImageData at the model's input size, painted without
// antialiasing (only palette colours ever appear), so the model sees exactly what the
// user drew. Runs are coalesced: while one runs, strokes only bump `version`; the next
// run takes the latest picture, and `shown` says which version the output shows.
const drawing = state.draw = {active: false, version: 0, shown: -1, runs: 0,
                              tool: 'rectangle', colour: 1};
let labels = null;       // ImageData (h x w)
let strokeBase = null;   // the picture before the rectangle being dragged
let pending = false;

function palette() { return current?.metadata?.palette || null; }

function fill(image, x0, y0, x1, y1, rgb) {
  const [xa, xb] = [Math.max(0, Math.min(x0, x1)), Math.min(image.width - 1, Math.max(x0, x1))];
  const [ya, yb] = [Math.max(0, Math.min(y0, y1)), Math.min(image.height - 1, Math.max(y0, y1))];
  for (let y = ya; y <= yb; y++) {
    for (let x = xa; x <= xb; x++) {
      const i = 4 * (y * image.width + x);
      image.data[i] = rgb[0]; image.data[i + 1] = rgb[1]; image.data[i + 2] = rgb[2];
      image.data[i + 3] = 255;
    }
  }
}

function colourOf(name) { return palette().find((p) => p.name === name)?.rgb; }

// A blank facade: wall, a band of sky and a cornice under it; `starter` adds a door
// and two rows of windows so the first output is already a building.
function blankLabels(h, w, starter) {
  const image = new ImageData(w, h);
  const rgb = (name, fallback) => colourOf(name) || palette()[fallback].rgb;
  fill(image, 0, 0, w - 1, h - 1, rgb('wall', 0));
  const sky = Math.round(0.06 * h), cornice = Math.max(1, Math.round(0.035 * h));
  if (sky) fill(image, 0, 0, w - 1, sky - 1, rgb('sky', palette().length - 1));
  fill(image, 0, sky, w - 1, sky + cornice - 1, rgb('cornice', 0));
  if (starter) {
    const ww = Math.round(0.14 * w), wh = Math.round(0.16 * h);
    for (const top of [0.2, 0.45]) {
      for (const left of [0.12, 0.43, 0.74]) {
        const x = Math.round(left * w), y = Math.round(top * h);
        fill(image, x, y, x + ww - 1, y + wh - 1, rgb('window', 1));
      }
    }
    const dx = Math.round(0.4 * w), dy = Math.round(0.72 * h);
    fill(image, dx, dy, dx + Math.round(0.2 * w) - 1, h - 1, rgb('door', 2));
  }
  return image;
}

function paintLabels() {
  const canvas = $('input');
  canvas.width = labels.width;
  canvas.height = labels.height;
  canvas.getContext('2d').putImageData(labels, 0, 0);
}

function buildPalette() {
  const box = $('palette');
  box.replaceChildren();
  palette().forEach((entry, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('role', 'radio');
    b.dataset.index = String(i);
    b.textContent = entry.name;
    const [r, g, bl] = entry.rgb;
    b.style.background = `rgb(${r}, ${g}, ${bl})`;
    b.style.color = 0.299 * r + 0.587 * g + 0.114 * bl > 140 ? '#000' : '#fff';
    b.setAttribute('aria-checked', String(i === drawing.colour));
    b.onclick = () => {
      drawing.colour = i;
      box.querySelectorAll('button').forEach((o) => o.setAttribute(
        'aria-checked', String(o === b)));
    };
    box.append(b);
  });
}

// The model changed: offer the drawing mode if it takes label maps.
function offerDrawing() {
  $('draw').classList.toggle('hidden', !palette());
  if (drawing.active && !palette()) stopDrawing();
}

function startDrawing(keep = false) {
  const {h, w} = inputSpec();
  if (!keep || !labels || labels.width !== w || labels.height !== h) {
    labels = blankLabels(h, w, true);
  }
  drawing.colour = Math.min(drawing.colour, palette().length - 1);
  buildPalette();
  drawing.active = true;
  $('drawtools').classList.remove('hidden');
  $('input').classList.add('drawing');
  $('draw').textContent = 'Stop drawing';
  paintLabels();
  scheduleDrawing();
}

function stopDrawing() {
  drawing.active = false;
  strokeBase = null;
  $('drawtools').classList.add('hidden');
  $('input').classList.remove('drawing');
  $('draw').textContent = 'Draw';
}

// A translation of the latest picture, unless one is already waiting in the queue.
function scheduleDrawing() {
  drawing.version += 1;
  if (pending) return;
  pending = true;
  queue(async () => {
    pending = false;
    if (drawing.active) await translateDrawing();
  });
}

async function translateDrawing() {
  const version = drawing.version;
  const spec = inputSpec();
  const pixels = Uint8ClampedArray.from(labels.data);
  const x = prepare(pixels, labels.height, labels.width, spec.pre);
  const values = spec.dtype === 'uint8' ? toUint8(x) : x;
  const input = new Tensor(values, [1, spec.h, spec.w, spec.c]);
  const outChannels = compiled.getOutputDetails()[0].shape[3];
  let out;
  try { out = await runOnce(input); } finally { input.delete(); }
  const rgb = toPixels(out.values);
  drawOutput(rgb, spec.h, spec.w, outChannels, labels.width / labels.height);
  drawing.shown = version;
  drawing.runs += 1;
  showInfo(out.elapsed);
  status(`drawing: ${out.elapsed.toFixed(1)} ms per translation on ${current.accelerator}`);
  const rgbLabels = new Uint8Array(labels.width * labels.height * 3);
  for (let i = 0; i < labels.width * labels.height; i++) {
    for (let k = 0; k < 3; k++) rgbLabels[3 * i + k] = pixels[4 * i + k];
  }
  state.result = {pixels: rgb, latency_ms: out.elapsed, times_ms: [out.elapsed],
                  threads: threads(), accelerator: current.accelerator, model: current.name,
                  shape: [spec.h, spec.w, outChannels], input: Array.from(values),
                  labels: Array.from(rgbLabels), version, preprocessor: spec.pre};
  await offerResult();
}

// Pointer position -> label-map pixel (the canvas is scaled by CSS).
function cell(e) {
  const box = $('input').getBoundingClientRect();
  const x = Math.floor((e.clientX - box.left) / box.width * labels.width);
  const y = Math.floor((e.clientY - box.top) / box.height * labels.height);
  return [Math.min(labels.width - 1, Math.max(0, x)), Math.min(labels.height - 1, Math.max(0, y))];
}

function brush(x0, y0, x1, y1) {
  const r = Math.max(1, Math.round(labels.width / 40));
  const rgb = palette()[drawing.colour].rgb;
  const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  for (let t = 0; t <= n; t++) {  // the stroke between two events, not just its ends
    const x = Math.round(x0 + (x1 - x0) * t / n), y = Math.round(y0 + (y1 - y0) * t / n);
    fill(labels, x - r, y - r, x + r, y + r, rgb);
  }
}

let stroke = null;  // {start: [x, y], last: [x, y]} while a finger is down
function onPointer(e) {
  if (!drawing.active) return;
  e.preventDefault();
  const here = cell(e);
  if (e.type === 'pointerdown') {
    $('input').setPointerCapture(e.pointerId);
    stroke = {start: here, last: here};
    strokeBase = new ImageData(Uint8ClampedArray.from(labels.data), labels.width, labels.height);
  } else if (!stroke) {
    return;
  }
  if (drawing.tool === 'rectangle') {
    labels.data.set(strokeBase.data);
    fill(labels, stroke.start[0], stroke.start[1], here[0], here[1],
         palette()[drawing.colour].rgb);
  } else {
    brush(stroke.last[0], stroke.last[1], here[0], here[1]);
  }
  stroke.last = here;
  if (e.type === 'pointerup' || e.type === 'pointercancel') stroke = null;
  paintLabels();
  scheduleDrawing();
}

function setUpDrawing() {
  const canvas = $('input');
  for (const type of ['pointerdown', 'pointermove', 'pointerup', 'pointercancel']) {
    canvas.addEventListener(type, onPointer);
  }
  $('draw').onclick = () => {
    if (drawing.active) { stopDrawing(); return; }
    queue(async () => { await stopLive(); startDrawing(true); });
  };
  $('tool').onclick = () => {
    drawing.tool = drawing.tool === 'rectangle' ? 'brush' : 'rectangle';
    $('tool').textContent = `Tool: ${drawing.tool}`;
  };
  $('clear').onclick = () => {
    labels = blankLabels(labels.height, labels.width, false);
    paintLabels();
    scheduleDrawing();
  };
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

// The static site registers its service worker (the Python server's page has no
// manifest and no worker). Needs a secure context: HTTPS or localhost.
async function registerWorker() {
  if (!document.querySelector('link[rel=manifest]')) return;
  if (!('serviceWorker' in navigator)) {
    console.warn('no service worker (not a secure context?): the page will not work offline');
    return;
  }
  await navigator.serviceWorker.register('./sw.js');
}

// Queue a job behind the one running, so two translations never share the model.
function queue(job) {
  busy = busy.then(job).catch(fail);
  return busy;
}

async function main() {
  registerWorker().catch((e) => console.warn(`service worker: ${e.message || e}`));
  const response = await fetch('./models.json');
  models = await response.json();
  if (!models.length) throw new Error('no .tflite file in the served folder');
  for (const m of models) {
    const mb = (m.size_bytes / 1e6).toFixed(1);
    $('model').add(new Option(`${m.name} (${mb} MB)`, m.name));
  }
  $('model').value = params.get('model') || models[0].name;
  $('accelerator').value = params.get('accelerator') || 'auto';
  // Threads need cross-origin isolation (COOP/COEP headers: the server or sw.js).
  const wasm = new URL('../wasm/', import.meta.resolve('@litertjs/core')).href;
  await loadLiteRt(wasm, {threads: self.crossOriginIsolated});
  await compile($('model').value, $('accelerator').value);

  const rerun = () => queue(async () => {
    const wasLive = state.live.running;
    if (wasLive) await stopLive();
    await compile($('model').value, $('accelerator').value);
    if (wasLive) await startLive();
    else if (drawing.active) startDrawing(true);
    else if (lastImage) await translate(lastImage);
  });
  $('model').onchange = rerun;
  $('accelerator').onchange = rerun;
  const fromFile = (e) => {
    const file = e.target.files[0];
    if (!file) return;
    e.target.value = '';  // picking the same photo again is a change too
    queue(async () => {
      await stopLive();
      stopDrawing();
      await translate(await createImageBitmap(file, BITMAP));
    });
  };
  $('file').onchange = fromFile;
  $('camera').onchange = fromFile;
  $('live').onclick = () => {
    if (state.live.running) stopLive();
    else queue(() => { stopDrawing(); return startLive(); });
  };
  const drop = $('drop');
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
  drop.ondragleave = () => drop.classList.remove('over');
  drop.ondrop = (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer.files[0];
    if (!file) return;
    queue(async () => {
      stopDrawing();
      await translate(await createImageBitmap(file, BITMAP));
    });
  };
  setUpDrawing();
  state.ready = true;
  if (params.get('draw') && palette()) {
    startDrawing();
  } else if (params.get('image')) {
    const result = await translate(await loadImage(params.get('image')));
    if (params.get('report')) await report(result);
  } else {
    status(`${describe(models.find((m) => m.name === current.name))}\n` +
           (palette() ? 'Draw a facade, take or pick a label map, or start the live camera.'
                      : 'Take or pick a photo, or start the live camera.'));
  }
}

function fail(error) {
  state.error = String(error.message || error);
  status(`error: ${state.error}`);
  stopLive();
  if (params.get('report')) {
    fetch('./result', {method: 'POST', headers: {'Content-Type': 'application/json'},
                       body: JSON.stringify({error: state.error})});
  }
}

main().catch(fail);

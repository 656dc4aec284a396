// The inference contract of pix2pix_tf/translator.py, in JavaScript, step by step.
//
// The page reads the model's own `preprocessor` metadata (written by the export) and
// prepares its input exactly as Python's `Preprocessor.prepare` does:
//   2. channels: RGB, grayscale (tf.image.rgb_to_grayscale of the 8-bit pixels), or for
//      a Lab model the RGB pixels, whose lightness L* is taken after step 3;
//   3. fit: "resize" = TensorFlow's antialiased bilinear resize (its ScaleAndTranslate
//      with the triangle kernel, re-implemented below), "crop" = the centre crop,
//      zero-padded where the image is smaller (tf.image.resize_with_crop_or_pad);
//   4. range: x = p / 127.5 - 1 (Lab: x = L* / 50 - 1); a uint8 pixel model takes
//      p = round((x + 1) * 127.5) instead, its normalisation being in its graph.
// tests/test_web.py runs this file with Node.js against Python on the same pixels.

// tf.image.rgb_to_grayscale's weights.
const GRAY = [0.2989, 0.587, 0.114];
// sRGB -> Y (the middle row of pix2pix_tf/color.py's RGB -> XYZ matrix; white Y = 1).
const Y_ROW = [0.212671, 0.71516, 0.072169];
const EPS = 6 / 29;

// Separable weights of TensorFlow's antialiased bilinear resize along one axis.
function spans(inSize, outSize) {
  const scale = outSize / inSize;
  const invScale = 1 / scale;
  const kernelScale = Math.max(invScale, 1);  // antialias: widen when shrinking
  const result = [];
  for (let x = 0; x < outSize; x++) {
    const sample = (x + 0.5) * invScale;
    let start = Math.ceil(sample - kernelScale - 0.5);
    let end = Math.floor(sample + kernelScale - 0.5);
    start = Math.min(Math.max(start, 0), inSize - 1);
    end = Math.min(Math.max(end, 0), inSize - 1) + 1;
    const weights = [];
    let total = 0;
    for (let s = start; s < end; s++) {
      const w = Math.max(0, 1 - Math.abs((s + 0.5 - sample) / kernelScale));
      weights.push(w);
      total += w;
    }
    if (Math.abs(total) > 0) for (let i = 0; i < weights.length; i++) weights[i] /= total;
    result.push({start, weights});
  }
  return result;
}

// Float pixels (h, w, c) -> (outH, outW, c): tf.image.resize(..., antialias=True).
export function resize(src, h, w, c, outH, outW) {
  if (h === outH && w === outW) return Float32Array.from(src);
  const rows = spans(h, outH), cols = spans(w, outW);
  const tmp = new Float64Array(outH * w * c);  // rows first, then columns
  for (let y = 0; y < outH; y++) {
    const {start, weights} = rows[y];
    for (let k = 0; k < weights.length; k++) {
      const wt = weights[k], base = (start + k) * w * c;
      for (let i = 0; i < w * c; i++) tmp[y * w * c + i] += wt * src[base + i];
    }
  }
  const out = new Float32Array(outH * outW * c);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const {start, weights} = cols[x];
      for (let ch = 0; ch < c; ch++) {
        let v = 0;
        for (let k = 0; k < weights.length; k++) {
          v += weights[k] * tmp[(y * w + start + k) * c + ch];
        }
        out[(y * outW + x) * c + ch] = v;
      }
    }
  }
  return out;
}

// Float pixels (h, w, c) -> the centre (outH, outW) crop, zero-padded.
export function cropOrPad(src, h, w, c, outH, outW) {
  const out = new Float32Array(outH * outW * c);
  const dy = Math.floor((h - outH) / 2), dx = Math.floor((w - outW) / 2);
  for (let y = 0; y < outH; y++) {
    const sy = y + dy;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < outW; x++) {
      const sx = x + dx;
      if (sx < 0 || sx >= w) continue;
      for (let ch = 0; ch < c; ch++) out[(y * outW + x) * c + ch] = src[(sy * w + sx) * c + ch];
    }
  }
  return out;
}

// RGBA bytes (as canvas getImageData gives) -> float pixels with `channels` (step 2).
function channelsOf(rgba, n, channels) {
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
    if (channels === 1) {
      // tf.image.rgb_to_grayscale on uint8: in float32, then back with x * 255.5, truncated.
      const gray = Math.fround(Math.fround(GRAY[0] * Math.fround(r / 255))
        + Math.fround(GRAY[1] * Math.fround(g / 255)) + Math.fround(GRAY[2] * Math.fround(b / 255)));
      out[i] = Math.min(255, Math.trunc(Math.fround(gray * 255.5)));
    } else {
      out[3 * i] = r; out[3 * i + 1] = g; out[3 * i + 2] = b;
    }
  }
  return out;
}

function linear(v) {
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
}

// L* (0..100) of sRGB pixels 0..255 (pix2pix_tf/color.py: rgb_to_lab's first channel).
export function lightness(r, g, b) {
  const c = (p) => linear(Math.min(Math.max(p / 255, 0), 1));
  const Y = Y_ROW[0] * c(r) + Y_ROW[1] * c(g) + Y_ROW[2] * c(b);
  const f = Y > EPS ** 3 ? Math.cbrt(Y) : Y / (3 * EPS * EPS) + 4 / 29;
  return 116 * f - 16;
}

// Steps 2-4: RGBA bytes of a (height, width) image -> the model's input values in [-1, 1]
// (Float32Array, (H, W, C) of the model), per the model's `preprocessor` metadata.
export function prepare(rgba, height, width, pre) {
  const [H, W] = pre.image_size;
  const lab = pre.color_space === 'lab';
  const c = lab ? 3 : pre.input_channels;
  const pixels = channelsOf(rgba, height * width, c);
  const fitted = pre.fit === 'crop' ? cropOrPad(pixels, height, width, c, H, W)
                                    : resize(pixels, height, width, c, H, W);
  const n = H * W;
  const x = new Float32Array(n * pre.input_channels);
  if (lab) {
    for (let i = 0; i < n; i++) {
      const clip = (p) => Math.min(Math.max(p, 0), 255);
      x[i] = lightness(clip(fitted[3 * i]), clip(fitted[3 * i + 1]), clip(fitted[3 * i + 2]))
        / 50 - 1;
    }
  } else {
    for (let i = 0; i < x.length; i++) x[i] = Math.min(Math.max(fitted[i], 0), 255) / 127.5 - 1;
  }
  return x;
}

// A model input in [-1, 1] as the uint8 pixels a pixel (int8) model takes.
export function toUint8(x) {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    out[i] = Math.min(255, Math.max(0, Math.round((x[i] + 1) * 127.5)));
  }
  return out;
}

// Step 6: outputs in [-1, 1] (float) or pixels (uint8) -> uint8 pixels (round half up).
export function toPixels(values) {
  const out = new Uint8Array(values.length);
  const isFloat = !(values instanceof Uint8Array);
  for (let i = 0; i < values.length; i++) {
    const p = isFloat ? Math.floor((values[i] + 1) * 127.5 + 0.5) : values[i];
    out[i] = Math.max(0, Math.min(255, p));
  }
  return out;
}

// The contract's preprocessor for a model exported before metadata carried one.
export function fallbackPreprocessor(shape) {
  const [, h, w, c] = shape;
  return {image_size: [h, w], input_channels: c, color_space: 'rgb', fit: 'resize',
          direction: 'AtoB'};
}

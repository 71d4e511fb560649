#!/usr/bin/env node
// Draws the tray and app icons into assets/ with nothing but Node (zlib + a CRC-32 PNG encoder), so
// they can be regenerated anywhere: `node scripts/make-icons.mjs`. Shapes, not only colours, tell
// the states apart (a filled coin with a T: fresh; a hollow ring with a T: warning; a coin with
// "!": error), so the monochrome macOS template images and colour-blind people see them too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const OUT = new URL('../assets/', import.meta.url);

// ---- PNG encoding (RGBA, 8 bit) --------------------------------------------------------------

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An .ico holding PNG images (supported since Windows Vista; electron-builder accepts it). */
function encodeIco(images) {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const entry = 6 + 16 * i;
    header[entry] = size >= 256 ? 0 : size;
    header[entry + 1] = size >= 256 ? 0 : size;
    header.writeUInt16LE(1, entry + 4); // planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(png.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((image) => image.png)]);
}

// ---- drawing: shapes in a unit square, 4x4 supersampled ---------------------------------------

const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const roundRect = (x0, y0, x1, y1, r) => (x, y) => {
  if (!rect(x0, y0, x1, y1)(x, y)) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const union = (...shapes) => (x, y) => shapes.some((shape) => shape(x, y));
const minus = (a, b) => (x, y) => a(x, y) && !b(x, y);

/** Layers are [shape, [r, g, b, a]] painted in order. */
function render(size, layers) {
  const rgba = Buffer.alloc(size * size * 4);
  const samples = 4;
  for (let py = 0; py < size; py += 1) {
    for (let px = 0; px < size; px += 1) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy += 1) {
        for (let sx = 0; sx < samples; sx += 1) {
          const x = (px + (sx + 0.5) / samples) / size;
          const y = (py + (sy + 0.5) / samples) / size;
          let colour = [0, 0, 0, 0];
          for (const [shape, fill] of layers) if (shape(x, y)) colour = fill;
          const alpha = colour[3] / 255;
          r += colour[0] * alpha;
          g += colour[1] * alpha;
          b += colour[2] * alpha;
          a += alpha;
        }
      }
      const i = (py * size + px) * 4;
      const n = samples * samples;
      rgba[i] = a > 0 ? Math.round(r / a) : 0;
      rgba[i + 1] = a > 0 ? Math.round(g / a) : 0;
      rgba[i + 2] = a > 0 ? Math.round(b / a) : 0;
      rgba[i + 3] = Math.round((a / n) * 255);
    }
  }
  return encodePng(size, size, rgba);
}

// ---- the glyphs ----------------------------------------------------------------------------

const coin = circle(0.5, 0.5, 0.46);
const ring = minus(coin, circle(0.5, 0.5, 0.31));
const letterT = union(rect(0.29, 0.27, 0.71, 0.39), rect(0.43, 0.27, 0.57, 0.75));
const bang = union(roundRect(0.42, 0.2, 0.58, 0.6, 0.06), circle(0.5, 0.74, 0.085));

const COLOURS = {
  fresh: [46, 157, 87, 255],
  warning: [214, 140, 0, 255],
  error: [214, 48, 49, 255],
};
const WHITE = [255, 255, 255, 255];
const BLACK = [0, 0, 0, 255];

/** Coloured icons for Linux and Windows trays: a white glyph on the state's colour. */
function trayLayers(state) {
  const colour = COLOURS[state];
  if (state === 'fresh') return [[coin, colour], [letterT, WHITE]];
  if (state === 'warning') return [[ring, colour], [letterT, colour]];
  return [[coin, colour], [bang, WHITE]];
}

/** macOS template images: black and alpha only; the glyph is cut out of the coin. */
function templateLayers(state) {
  if (state === 'fresh') return [[minus(coin, letterT), BLACK]];
  if (state === 'warning') return [[union(ring, letterT), BLACK]];
  return [[minus(coin, bang), BLACK]];
}

mkdirSync(OUT, { recursive: true });
const write = (name, data) => {
  writeFileSync(new URL(name, OUT), data);
  console.log(`assets/${name} (${data.length} bytes)`);
};

for (const state of ['fresh', 'warning', 'error']) {
  write(`tray-${state}.png`, render(16, trayLayers(state)));
  write(`tray-${state}@2x.png`, render(32, trayLayers(state)));
  write(`tray-${state}Template.png`, render(16, templateLayers(state)));
  write(`tray-${state}Template@2x.png`, render(32, templateLayers(state)));
}

// The app icon: a rounded tile with the fresh coin.
const tile = roundRect(0.06, 0.06, 0.94, 0.94, 0.2);
const appCoin = circle(0.5, 0.5, 0.33);
const appT = union(rect(0.36, 0.33, 0.64, 0.41), rect(0.455, 0.33, 0.545, 0.68));
const appLayers = [
  [tile, [28, 39, 58, 255]],
  [appCoin, COLOURS.fresh],
  [appT, WHITE],
];
write('icon.png', render(512, appLayers));
write('icon.ico', encodeIco([16, 32, 48, 256].map((size) => ({ size, png: render(size, appLayers) }))));

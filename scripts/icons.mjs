// Draws the app icons (public/icons/*.png) from the favicon's design (public/favicon.svg: two blue
// cans joined by a grey string) with no image library: shapes are filled by 4×4 supersampling and
// written as PNG with node's zlib. Run it after changing the design; the PNGs are committed.
//
//   node scripts/icons.mjs
//
// "any" icons: the design on a white rounded tile. "maskable" icons: a full-bleed white square with
// the design inside the central safe circle (radius 40 %), so launchers may crop it to any shape.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BLUE = [0x2f, 0x6f, 0xed];
const GREY = [0x88, 0x88, 0x88];
const WHITE = [0xff, 0xff, 0xff];

// The favicon's shapes, in its 64×64 viewBox.
const cans = [
  { x: 4, y: 18, w: 18, h: 28, r: 4 },
  { x: 42, y: 18, w: 18, h: 28, r: 4 },
];
// The string: a quadratic curve from (22,32) through control (32,22) to (42,32), 3 wide.
const string = { from: [22, 32], control: [32, 22], to: [42, 32], width: 3 };
const stringPoints = Array.from({ length: 65 }, (_, i) => {
  const t = i / 64;
  const u = 1 - t;
  return [
    u * u * string.from[0] + 2 * u * t * string.control[0] + t * t * string.to[0],
    u * u * string.from[1] + 2 * u * t * string.control[1] + t * t * string.to[1],
  ];
});

/** Signed distance from (px, py) to a rounded rectangle; ≤ 0 inside. */
function roundedRect(px, py, { x, y, w, h, r }) {
  const qx = Math.abs(px - (x + w / 2)) - (w / 2 - r);
  const qy = Math.abs(py - (y + h / 2)) - (h / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

function distanceToSegment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function onString(px, py) {
  if (px < 20 || px > 44 || py < 24 || py > 34) return false;
  for (let i = 1; i < stringPoints.length; i++) {
    if (distanceToSegment(px, py, stringPoints[i - 1], stringPoints[i]) <= string.width / 2) return true;
  }
  return false;
}

/** The colour at canvas point (cx, cy) of an N×N icon, or null (transparent). */
function colourAt(cx, cy, size, maskable) {
  // The background: the whole square (maskable) or a rounded tile.
  const tile = maskable || roundedRect(cx, cy, { x: 0, y: 0, w: size, h: size, r: size * 0.22 }) <= 0;
  if (!tile) return null;
  // The design, centred (its shapes are centred on (32, 32)) and scaled down into the tile or the
  // safe circle: its farthest corner, (60, 46), is 31.3 units from the centre.
  const scale = (size / 64) * (maskable ? 0.78 : 0.84);
  const dx = 32 + (cx - size / 2) / scale;
  const dy = 32 + (cy - size / 2) / scale;
  if (onString(dx, dy)) return GREY;
  if (cans.some((can) => roundedRect(dx, dy, can) <= 0)) return BLUE;
  return WHITE;
}

function render(size, maskable) {
  const samples = 4;
  const rgba = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const colour = colourAt(x + (sx + 0.5) / samples, y + (sy + 0.5) / samples, size, maskable);
          if (!colour) continue;
          r += colour[0]; g += colour[1]; b += colour[2]; a += 1;
        }
      }
      const at = (y * size + x) * 4;
      if (a > 0) {
        // Colours are averaged over the covered samples only (straight, not premultiplied alpha).
        rgba[at] = Math.round(r / a);
        rgba[at + 1] = Math.round(g / a);
        rgba[at + 2] = Math.round(b / a);
        rgba[at + 3] = Math.round((255 * a) / (samples * samples));
      }
    }
  }
  return rgba;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit RGBA PNG, each row with filter 0 (none). */
function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

for (const [name, size, maskable] of [
  ['icon-192.png', 192, false],
  ['icon-512.png', 512, false],
  ['maskable-192.png', 192, true],
  ['maskable-512.png', 512, true],
]) {
  const file = new URL(`../public/icons/${name}`, import.meta.url);
  const bytes = png(size, render(size, maskable));
  writeFileSync(file, bytes);
  console.log(`icons.mjs: ${name} ${bytes.length} bytes`);
}

import { writeFile } from 'node:fs/promises';
import type { BrowserContext, Locator } from '@playwright/test';

/**
 * A camera's view of a QR code, as a Y4M file Chromium plays as its fake camera
 * (`--use-file-for-fake-video-capture=<file>`; Chromium opens the file when a page asks for the
 * camera, not at launch, so it may be written after the browser started).
 *
 * The code is the app's own QR image (the `<svg>` in `invite-qr` / `answer-qr`), drawn as a
 * phone held up to a screen would see it: on a grey background, a little off centre, optionally
 * out of focus or partly covered.
 */
export interface CameraView {
  /** Gaussian blur radius in pixels (a camera out of focus). */
  blurPx?: number;
  /** Fraction of the code's lower-right corner hidden (a thumb over it), 0..1 of each side. */
  covered?: number;
}

const WIDTH = 640;
const HEIGHT = 480;
/** The code's side in the frame, in pixels. */
const CODE_SIDE = 360;

/** Renders the QR code inside `qr` into a Y4M file of a few identical frames. */
export async function writeQrY4m(
  qr: Locator,
  helperContext: BrowserContext,
  file: string,
  view: CameraView = {},
): Promise<void> {
  const svg = await qr.locator('svg').evaluate((element) => element.outerHTML);
  const luma = await rasterize(helperContext, svg, view);
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F10:1 Ip A1:1 C420jpeg\n`);
  // 4:2:0: a quarter-size U and V plane each; 128 is no colour.
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  await writeFile(file, Buffer.concat([header, frame, frame, frame]));
}

/** Draws the SVG in a blank page (no app, no CSP) and returns the frame's luma plane. */
async function rasterize(context: BrowserContext, svg: string, view: CameraView): Promise<Buffer> {
  const page = await context.newPage();
  try {
    const base64 = await page.evaluate(
      async ({ svg, view, width, height, side }) => {
        const image = new Image();
        image.src = `data:image/svg+xml;base64,${btoa(svg)}`;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = width;
        canvas.height = height;
        const context = canvas.getContext('2d')!;
        context.fillStyle = '#a8a8a8';
        context.fillRect(0, 0, width, height);
        const left = (width - side) / 2 + 20;
        const top = (height - side) / 2 - 10;
        if (view.blurPx) context.filter = `blur(${view.blurPx}px)`;
        context.drawImage(image, left, top, side, side);
        context.filter = 'none';
        if (view.covered) {
          const hidden = side * view.covered;
          context.fillStyle = '#d8c0a8';
          context.fillRect(left + side - hidden, top + side - hidden, hidden, hidden);
        }
        const rgba = context.getImageData(0, 0, width, height).data;
        const luma = new Uint8Array(width * height);
        for (let i = 0; i < luma.length; i++) {
          luma[i] = Math.round(0.299 * rgba[i * 4] + 0.587 * rgba[i * 4 + 1] + 0.114 * rgba[i * 4 + 2]);
        }
        let text = '';
        for (let i = 0; i < luma.length; i += 0x8000) {
          text += String.fromCharCode(...luma.subarray(i, i + 0x8000));
        }
        return btoa(text);
      },
      { svg, view, width: WIDTH, height: HEIGHT, side: CODE_SIDE },
    );
    return Buffer.from(base64, 'base64');
  } finally {
    await page.close();
  }
}

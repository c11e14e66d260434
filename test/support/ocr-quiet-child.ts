/** Child process of test/media/ocr-quiet.test.ts: OCR of an image without a usable resolution; prints the text. */
import sharp from 'sharp';
import { LocalOcr } from '../../engine/media/ocr-local.ts';

const svg = '<svg width="400" height="100"><text x="10" y="60" font-size="40" font-family="sans-serif">Hello 123</text></svg>';
const image = await sharp({ create: { width: 400, height: 100, channels: 3, background: '#ffffff' } }).composite([{ input: Buffer.from(svg) }]).png().toBuffer();
const ocr = new LocalOcr();
const result = await ocr.recognize({ image: { data: image, mime: 'image/png' }, language: 'en' });
process.stdout.write(JSON.stringify(result.text));
await ocr.terminate();

/** The replay record of signed webhook calls (replay-guard.ts) and the signature headers (signature.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplayGuard } from '../../engine/api/webhooks/replay-guard.ts';
import { claimedSignature, signatureHeaders, signedHmac, verify } from '../../engine/api/webhooks/signature.ts';
import { TesseraError } from '../../engine/errors.ts';

const code = (expected: string) => (err: unknown) => err instanceof TesseraError && err.code === expected;
const digest = (n: number) => Buffer.alloc(32, n);

test('a signature is accepted once per webhook while it is inside the window', () => {
  const guard = new ReplayGuard();
  guard.remember('wh_a', digest(1), 1000, 1000);
  assert.throws(() => guard.remember('wh_a', digest(1), 1000, 1200), code('SIGNATURE_REPLAYED'));
  guard.remember('wh_b', digest(1), 1000, 1000); // another webhook's record is its own
  guard.remember('wh_a', digest(2), 1000, 1000);
});

test('a full record forgets expired signatures, and refuses rather than forget live ones', () => {
  const guard = new ReplayGuard(2);
  guard.remember('wh', digest(1), 1000, 1000);
  guard.remember('wh', digest(2), 1000, 1000);
  assert.throws(() => guard.remember('wh', digest(3), 1000, 1000), code('WEBHOOK_RATE_LIMITED'));
  assert.throws(() => guard.remember('wh', digest(1), 1000, 1000), code('SIGNATURE_REPLAYED'), 'nothing was forgotten');
  guard.remember('wh', digest(3), 1400, 1400); // the first two expired at 1300
  assert.equal(guard.size, 1);
});

test('headers: both required, the timestamp fresh, the HMAC over "<timestamp>.<body>"', () => {
  const headers = signatureHeaders('s3cret', '{"a":1}', 5000);
  const claimed = claimedSignature(headers, 5100);
  verify(claimed, signedHmac('s3cret', 5000).update('{"a":1}').digest());
  assert.throws(() => verify(claimed, signedHmac('s3cret', 5000).update('{"a":2}').digest()), code('SIGNATURE_INVALID'));
  assert.throws(() => claimedSignature({ 'x-tessera-signature': headers['x-tessera-signature'] }, 5000), code('SIGNATURE_INVALID'));
  assert.throws(() => claimedSignature({ ...headers, 'x-tessera-timestamp': '5000.5' }, 5000), code('SIGNATURE_INVALID'));
  assert.throws(() => claimedSignature(headers, 5301), code('SIGNATURE_EXPIRED'));
  assert.throws(() => claimedSignature(headers, 4699), code('SIGNATURE_EXPIRED'));
  claimedSignature(headers, 5300); // the edge of the window is inside
});

/**
 * Secrets the store must be able to read back (webhook HMAC secrets: verifying a signature needs the
 * secret itself, so a hash will not do) are kept encrypted with AES-256-GCM. A sealed value is
 * `v1.<iv>.<tag>.<ciphertext>` (base64url), bound to its row by the associated data (a sealed secret
 * copied onto another webhook does not open). Where the key comes from: secret-key.ts.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TesseraError } from '../errors.ts';

const VERSION = 'v1';

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new TesseraError('SECRET_KEY_INVALID', 'The secret key must be 32 bytes.');
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string, context: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    try {
      if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('not a sealed value');
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new TesseraError(
        'SECRET_KEY_INVALID',
        'A stored secret cannot be decrypted with this key: TESSERA_SECRET_KEY or <data-dir>/secret.key is not the key it was encrypted with.',
        { details: { context } },
      );
    }
  }
}

/**
 * The API's port, checked before anything else starts: a taken port must stop `tessera dev` at once with
 * one line naming the port and the setting to change, not after a Temporal server and a worker are up.
 */
import net from 'node:net';
import { TesseraError } from '../errors.ts';

export function apiPortInUse(host: string, port: number, cause?: unknown): TesseraError {
  return new TesseraError(
    'API_PORT_IN_USE',
    `Port ${port} on ${host} is already in use (another tessera dev?): stop that program or set --port / TESSERA_API_PORT to a free port (0 picks one).`,
    { cause },
  );
}

/** Throws API_PORT_IN_USE when the port cannot be listened on; port 0 (any free port) always passes. */
export async function assertApiPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? apiPortInUse(host, port, err) : err));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

export function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'EADDRINUSE';
}

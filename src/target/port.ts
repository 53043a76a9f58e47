import { type AddressInfo, createServer } from 'node:net';

/** A loopback port nothing listens on now (the kernel's pick), for a service to bind a moment later. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

import { createServer, type Server } from 'node:net';

/**
 * A base port with `n` free consecutive ports after it on 127.0.0.1 (a restarted broker must find its
 * demo vendors where it enrolled them). Tries random ranges; throws after 50 taken ones.
 */
export async function freePortRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const servers: Server[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const s = createServer();
        await new Promise<void>((resolve, reject) => s.once('error', reject).listen(base + i, '127.0.0.1', resolve));
        servers.push(s);
      }
      return base;
    } catch {
      // taken: try another range
    } finally {
      for (const s of servers) await new Promise((r) => s.close(r));
    }
  }
  throw new Error('no free port range');
}

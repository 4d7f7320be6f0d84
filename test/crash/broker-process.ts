/**
 * The broker as its own process for the crash test: starts the broker and the demo world on a data
 * dir and fixed demo ports, then prints one JSON line per fact on stdout (ready, progress), so the
 * test can drive it over HTTP and SIGKILL it at any point.
 *
 * Usage: node --import tsx test/crash/broker-process.ts <dataDir> <demoBasePort>
 */
import { Writable } from 'node:stream';
import { startBroker } from '@steward/broker-server';

const [dataDir, basePort] = process.argv.slice(2);
if (!dataDir || !basePort) {
  process.stderr.write('usage: broker-process.ts <dataDir> <demoBasePort>\n');
  process.exit(2);
}
const say = (fact: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(fact)}\n`);
const quiet = new Writable({ write: (_c, _e, cb) => cb() });

const broker = await startBroker({ STEWARD_DATA_DIR: dataDir, STEWARD_PORT: '0', STEWARD_RATE_LIMIT: '100000' }, quiet, {
  demo: true,
  demoBasePort: Number(basePort),
  web: false,
  collectionWindowMs: 5000,
});
broker.steward.hub.subscribe((event) => {
  if (event.type === 'progress') say({ progress: (event.data as { stage?: string }).stage ?? 'unknown', taskId: event.taskId });
});
say({ ready: true, pid: process.pid, url: broker.url, token: broker.token, vendors: broker.demo?.vendors.map((v) => v.origin) ?? [] });
process.once('SIGTERM', () => {
  void broker.close().then(() => process.exit(0));
});

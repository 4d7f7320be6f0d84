import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COMMERCE_EXTENSION_URI, type AgentCard } from '@steward/protocol';
import { openStore } from '@steward/store';
import { openAuditLog } from '@steward/audit';
import { MIGRATIONS, generateSigningKey, issueCredential, publishedJwk, signCard, type SigningKey } from '@steward/identity';
import { runCli, type CliContext } from '../src/index.ts';

let dir: string;
let ctx: CliContext;
let stdout: string[];
let stderr: string[];
let server: Server;
let origin: string;
let vendorKey: SigningKey;
let owner = 'Parent Holdings';

function card(o: string): AgentCard {
  return {
    name: 'Example Shop',
    description: 'Groceries',
    url: `${o}/a2a`,
    version: '1.0.0',
    capabilities: {
      extensions: [
        {
          uri: COMMERCE_EXTENSION_URI,
          params: {
            legalEntity: { name: 'Example Shop Ltd' },
            origin: o,
            owners: [{ entity: { name: owner }, relation: 'owns', stake: 1 }],
            affiliations: [],
            payout: { payoutId: 'payout-shop-1', holder: 'Example Shop Ltd' },
            categories: ['groceries'],
          },
        },
      ],
    },
    defaultInputModes: ['application/json'],
    defaultOutputModes: ['application/json'],
    skills: [{ id: 'quote', name: 'Quote', description: 'Quotes', tags: [] }],
  };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steward-cli-identity-'));
  ctx = { dataDir: join(dir, 'data'), dbPath: join(dir, 'data', 'steward.db'), homeDir: join(dir, 'home'), brokerUrl: 'http://127.0.0.1:1' };
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  vendorKey = generateSigningKey();
  owner = 'Parent Holdings';
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/jwks.json') return res.end(JSON.stringify({ keys: [publishedJwk(vendorKey)] }));
    if (req.url === '/.well-known/agent-card.json') return res.end(JSON.stringify(signCard(card(origin), vendorKey)));
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.exitCode = undefined;
});

afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const text = () => stdout.join('');

describe('steward keys', () => {
  it('init creates a 0600 key file and two keys, idempotently; show and rotate', async () => {
    expect(await runCli(['keys', 'show'], ctx)).toBe(1);
    expect(stderr.join('')).toContain('error ERR_KEYSTORE_NOT_INITIALISED');
    expect(await runCli(['keys', 'init'], ctx)).toBe(0);
    expect(statSync(join(ctx.dataDir, 'steward.key')).mode & 0o777).toBe(0o600);
    expect(text()).toMatch(/created broker/);
    expect(text()).toMatch(/created user/);
    stdout.length = 0;
    expect(await runCli(['keys', 'init'], ctx)).toBe(0);
    expect(text()).toContain('already initialised');
    expect(await runCli(['keys', 'rotate', '--purpose', 'broker'], ctx)).toBe(0);
    stdout.length = 0;
    expect(await runCli(['keys', 'show', '--json'], ctx)).toBe(0);
    const keys = JSON.parse(text()) as { purpose: string; state: string }[];
    expect(keys.map((k) => `${k.purpose}:${k.state}`).sort()).toEqual(['broker:active', 'broker:retiring', 'user:active']);
    stdout.length = 0;
    expect(await runCli(['keys', 'show', '--jwks'], ctx)).toBe(0);
    expect((JSON.parse(text()) as { keys: unknown[] }).keys).toHaveLength(3);
    expect(text()).not.toContain('"d"');
    // Every key change is in the audit log.
    const store = openStore(ctx.dbPath, { migrations: { identity: MIGRATIONS } });
    const log = openAuditLog(store);
    expect(log.size).toBe(3);
    log.close();
    store.close();
    expect(await runCli(['keys', 'rotate', '--purpose', 'admin'], ctx)).toBe(1);
    expect(stderr.join('')).toContain('ERR_KEY_INVALID');
  });
});

describe('steward vendors', () => {
  it('refuses a loopback vendor without --allow-private', async () => {
    expect(await runCli(['vendors', 'add', origin, '--yes'], ctx)).toBe(1);
    expect(stderr.join('')).toContain('error ERR_FETCH_SCHEME_REFUSED');
  });

  it('does not enrol without confirmation', async () => {
    expect(await runCli(['vendors', 'add', origin, '--allow-private'], ctx)).toBe(1);
    expect(text()).toContain('not enrolled');
    stdout.length = 0;
    await runCli(['vendors', 'list'], ctx);
    expect(text()).toContain('no vendors enrolled');
  });

  it('add shows name, thumbprint and owners and enrols; list; refresh detects drift; confirm; revoke', async () => {
    expect(await runCli(['vendors', 'add', origin, '--allow-private', '--yes'], ctx)).toBe(0);
    expect(text()).toContain(vendorKey.kid);
    expect(text()).toContain('Parent Holdings owns 100%');
    expect(text()).toContain(`enrolled active     pinned    ${origin}`);
    stdout.length = 0;
    expect(await runCli(['vendors', 'add', origin, '--allow-private', '--yes'], ctx)).toBe(1);
    expect(stderr.join('')).toContain('ERR_VENDOR_ALREADY_ENROLLED');
    owner = 'Big Rival Corp';
    stderr.length = 0;
    expect(await runCli(['vendors', 'refresh', origin, '--allow-private'], ctx), stderr.join('')).toBe(0);
    expect(text()).toContain('changed its card, owners');
    stdout.length = 0;
    await runCli(['vendors', 'list', '--json'], ctx);
    expect((JSON.parse(text()) as { status: string }[])[0]?.status).toBe('suspended');
    expect(await runCli(['vendors', 'confirm', origin], ctx)).toBe(0);
    expect(await runCli(['vendors', 'revoke', origin, '--reason', 'fraud'], ctx)).toBe(0);
    stdout.length = 0;
    await runCli(['vendors', 'list'], ctx);
    expect(text()).toMatch(/^revoked/);
    expect(await runCli(['vendors', 'add', origin, '--allow-private', '--yes'], ctx)).toBe(1);
    expect(stderr.join('')).toContain('ERR_ORIGIN_REVOKED');
  });

  it('add --credential checks the credential against a trusted registry', async () => {
    const registryKey = generateSigningKey();
    const cred = issueCredential(
      { sub: origin, cnf: { jkt: vendorKey.kid }, legalEntity: { name: 'Example Shop Ltd' }, owners: [], payoutId: 'payout-shop-1', categories: ['groceries'], verificationLevel: 'audited' },
      { key: registryKey, registry: 'https://registry.example' },
    );
    writeFileSync(join(dir, 'cred.jwt'), cred);
    writeFileSync(join(dir, 'registry.json'), JSON.stringify({ keys: [publishedJwk(registryKey)] }));
    expect(await runCli(['vendors', 'add', origin, '--allow-private', '--yes', '--credential', join(dir, 'cred.jwt')], ctx)).toBe(1);
    expect(stderr.join('')).toContain('ERR_CREDENTIAL_ISSUER_UNTRUSTED');
    expect(await runCli(['vendors', 'trust-registry', 'https://registry.example', join(dir, 'registry.json')], ctx)).toBe(0);
    expect(await runCli(['vendors', 'add', origin, '--allow-private', '--yes', '--credential', join(dir, 'cred.jwt')], ctx)).toBe(0);
    expect(text()).toContain('https://registry.example says audited');
    expect(text()).toMatch(/enrolled active\s+audited/);
  });
});

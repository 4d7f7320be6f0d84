import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportLog, parseVerifierKey, verifyLog, type LogEntry } from '@steward/audit';
import { AuditEventType, Effect, FlagKind } from '@steward/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ServerError } from '../errors.ts';
import type { Steward } from '../steward.ts';

/** A log index or size as it arrives in a URL: decimal digits only. */
const Index = z.string().regex(/^(0|[1-9][0-9]{0,14})$/, 'must be a whole number').transform(Number);
const Instant = z.iso.datetime({ offset: true });

const AuditListQuery = z.strictObject({
  type: z.string().max(2000).optional(),
  vendor: z.string().min(1).max(256).optional(),
  taskId: z.string().min(1).max(128).optional(),
  decision: Effect.optional(),
  flag: FlagKind.optional(),
  from: Instant.optional(),
  to: Instant.optional(),
  q: z.string().min(1).max(200).optional(),
  cursor: z.string().min(1).max(512).optional(),
  limit: z.string().regex(/^[1-9][0-9]{0,2}$/, 'must be 1 to 200').transform(Number).pipe(z.number().max(200)).optional(),
  order: z.enum(['asc', 'desc']).optional(),
});

const entryView = (e: LogEntry) => ({ index: e.index, event: e.event, leafHash: e.leafHash, payloadState: e.payload });

/**
 * The audit log for the person: find entries, read one (with its personal payload unless erased),
 * prove an entry against a signed checkpoint, prove two checkpoints consistent, re-verify the whole
 * log and download the export of docs/audit-format.md.
 * @see docs/audit-format.md
 */
export function auditFeature(steward: Steward): FastifyPluginAsync {
  return async (base) => {
    const api = base.withTypeProvider<ZodTypeProvider>();
    const log = steward.audit;

    api.get('/audit', { schema: { querystring: AuditListQuery, tags: ['audit'], summary: 'find audit entries (newest first), a page at a time' } }, async (request) => {
      const q = request.query;
      let types: AuditEventType[] | undefined;
      if (q.type !== undefined) {
        const parsed = z.array(AuditEventType).min(1).max(50).safeParse(q.type.split(',').map((t) => t.trim()).filter(Boolean));
        if (!parsed.success) {
          throw new ServerError('ERR_REQUEST_INVALID', `\`type\` must be a comma-separated list of audit event types, got \`${q.type.slice(0, 100)}\``, { details: { parameter: 'type' } });
        }
        types = parsed.data;
      }
      log.flush();
      const page = log.query({
        ...(types ? { types } : {}),
        ...(q.vendor === undefined ? {} : { vendor: q.vendor }),
        ...(q.taskId === undefined ? {} : { taskId: q.taskId }),
        ...(q.decision === undefined ? {} : { decision: q.decision }),
        ...(q.flag === undefined ? {} : { flag: q.flag }),
        ...(q.from === undefined ? {} : { since: q.from }),
        ...(q.to === undefined ? {} : { until: q.to }),
        ...(q.q === undefined ? {} : { text: q.q }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        limit: q.limit ?? 50,
        order: q.order ?? 'desc',
      });
      return { entries: page.entries.map(entryView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    });

    api.get('/audit/checkpoint', { schema: { tags: ['audit'], summary: 'the signed checkpoint of the log (signs a fresh one if the log grew)' } }, async () => {
      const cp = log.checkpoint();
      return { note: cp.note, size: cp.size, rootHash: cp.root, signedAt: cp.signedAt, publicKey: { name: cp.keyName, key: cp.verifierKey } };
    });

    api.get(
      '/audit/consistency',
      { schema: { querystring: z.strictObject({ from: Index, to: Index.optional() }), tags: ['audit'], summary: 'a consistency proof between two tree sizes' } },
      async (request) => {
        log.flush();
        const to = request.query.to ?? log.size;
        const from = request.query.from;
        if (from > to) {
          throw new ServerError('ERR_REQUEST_INVALID', `\`from\` must not be beyond \`to\` (${to}), got ${from}`, { details: { from, to } });
        }
        // Every tree extends the empty one: the proof from size 0 is empty (RFC 9162 §2.1.4).
        const proof = from === 0 ? [] : log.consistencyProof(from, to);
        return { from, to, fromRoot: log.rootAt(from).toString('base64'), toRoot: log.rootAt(to).toString('base64'), proof };
      },
    );

    api.post('/audit/verify', { schema: { tags: ['audit'], summary: 'recompute and check the whole log' } }, async () => {
      log.flush();
      const key = log.verifierKey;
      const report = verifyLog(steward.store, key ? { verifiers: [parseVerifierKey(key)] } : {});
      return {
        ok: report.ok,
        size: report.size,
        rootHash: report.root,
        leavesChecked: report.leavesChecked,
        checkpointsChecked: report.checkpointsChecked,
        payloadsChecked: report.payloadsChecked,
        problems: report.problem ? [report.problem] : [],
      };
    });

    api.get('/audit/export', { schema: { tags: ['audit'], summary: 'download the log as JSON Lines (docs/audit-format.md)' } }, async (_request, reply) => {
      log.checkpoint();
      // The export goes to a private temporary file first (constant memory), then streams from it
      // with backpressure; the file is unlinked as soon as it is open.
      const dir = mkdtempSync(join(tmpdir(), 'steward-export-'));
      const file = join(dir, 'audit.jsonl');
      let header;
      try {
        const fd = openSync(file, 'wx', 0o600);
        try {
          header = exportLog(log, (chunk) => void writeSync(fd, chunk));
        } finally {
          closeSync(fd);
        }
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      const stream = createReadStream(file);
      stream.once('open', () => rmSync(dir, { recursive: true, force: true }));
      stream.once('error', () => rmSync(dir, { recursive: true, force: true }));
      return reply
        .type('application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="steward-audit-${header.treeSize}.jsonl"`)
        .header('cache-control', 'no-store')
        .send(stream);
    });

    api.get('/audit/:index', { schema: { params: z.strictObject({ index: Index }), tags: ['audit'], summary: 'one entry, with its personal payload unless erased' } }, async (request) => {
      log.flush();
      const entry = log.get(request.params.index);
      const view = entryView(entry);
      if (entry.payload === 'present') {
        const p = log.payload(entry.index);
        if (p.state === 'present') return { ...view, payload: p.payload, erased: false };
      }
      return { ...view, erased: entry.payload === 'erased' };
    });

    api.get('/audit/:index/proof', { schema: { params: z.strictObject({ index: Index }), tags: ['audit'], summary: 'inclusion proof of one entry against the newest signed checkpoint' } }, async (request) => {
      log.flush();
      log.get(request.params.index);
      // Sign a fresh checkpoint if the log grew, so the newest entry is provable at once.
      log.checkpoint();
      return log.proveEvent(request.params.index);
    });
  };
}

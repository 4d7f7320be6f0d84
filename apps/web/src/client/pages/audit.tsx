import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, download, saveBlob } from '../lib/api.ts';
import { formatTime, words } from '../lib/format.ts';
import { decodeHash, verifyInclusion } from '../lib/merkle.ts';
import { AUDIT_EVENT_TYPES, FLAG_KINDS, type AuditEntry, type AuditEvent } from '../lib/types.ts';
import { checkNote, forgetMemory, readMemory, witnessLog, type CheckpointView, type SignatureCheck, type WitnessOutcome } from '../lib/witness.ts';
import { ErrorNote, Hash, Unavailable } from '../components.tsx';

interface Filters {
  type: string;
  vendor: string;
  taskId: string;
  decision: string;
  flag: string;
  from: string;
  to: string;
  q: string;
}

const EMPTY: Filters = { type: '', vendor: '', taskId: '', decision: '', flag: '', from: '', to: '', q: '' };

function query(filters: Filters, cursor: string | undefined): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(filters) as [keyof Filters, string][]) {
    if (!v) continue;
    // datetime-local has no zone: it is the person's local time, sent as an ISO instant
    p.set(k, k === 'from' || k === 'to' ? new Date(v).toISOString() : v);
  }
  if (cursor) p.set('cursor', cursor);
  p.set('limit', '50');
  return p.toString();
}

/** The log's verification state: checkpoint, signature, and this browser's consistency check. */
function Verification() {
  const [outcome, setOutcome] = useState<WitnessOutcome | 'unavailable' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [full, setFull] = useState<{ ok: boolean; size: number; rootHash: string; problems: unknown[] } | null>(null);
  const [checking, setChecking] = useState(false);
  const run = (): void => {
    setError(null);
    witnessLog(
      {
        checkpoint: () => api<CheckpointView>('GET', '/api/audit/checkpoint'),
        consistency: (from, to) => api('GET', `/api/audit/consistency?from=${from}&to=${to}`),
      },
      localStorage,
    ).then(setOutcome, (e: unknown) => {
      if (e instanceof ApiError && e.notAvailable) setOutcome('unavailable');
      else setError(e);
    });
  };
  useEffect(run, []);
  const verifyAll = async (): Promise<void> => {
    setChecking(true);
    try {
      setFull(await api('POST', '/api/audit/verify'));
    } catch (e) {
      setError(e);
    } finally {
      setChecking(false);
    }
  };
  return (
    <section aria-labelledby="verif-h" class="card">
      <h2 id="verif-h">Is the log intact?</h2>
      {outcome === null && error === null && <p class="muted">Checking the log in this browser…</p>}
      {outcome === 'unavailable' && <Unavailable what="The log checkpoint" />}
      {outcome !== null && outcome !== 'unavailable' && outcome.state === 'alarm' && (
        <div class="alarm" role="alert">
          <strong>Alarm: the audit log failed this browser's check.</strong> {outcome.reason}.{' '}
          {outcome.remembered && (
            <>
              This browser last saw {outcome.remembered.size} entries with root <Hash value={outcome.remembered.rootHash} /> on {formatTime(outcome.remembered.seenAt)}; the broker now shows {outcome.size} entries with root <Hash value={outcome.rootHash} />.
            </>
          )}{' '}
          Keep a copy of the export and do not trust recent entries until you know why.
          <div class="actions">
            <button
              type="button"
              class="secondary"
              onClick={() => {
                if (confirm('Forget what this browser saw and start over? Only do this once you know why the check failed.')) {
                  forgetMemory(localStorage);
                  run();
                }
              }}
            >
              Forget and start over…
            </button>
          </div>
        </div>
      )}
      {outcome !== null && outcome !== 'unavailable' && outcome.state !== 'alarm' && (
        <dl class="facts">
          <dt>Entries (checkpoint size)</dt>
          <dd data-testid="cp-size">{outcome.size}</dd>
          <dt>Root hash</dt>
          <dd>
            <Hash value={outcome.rootHash} n={24} />
          </dd>
          <dt>Checkpoint signature</dt>
          <dd>{outcome.signature === 'verified' ? 'verified in this browser with the log key it pinned' : 'not checkable in this browser (no Ed25519 in WebCrypto)'}</dd>
          <dt>Consistency</dt>
          <dd class="ok" data-testid="consistency">
            {outcome.state === 'first-seen'
              ? 'First visit from this browser: checkpoint remembered; next time the broker must prove the log only grew.'
              : outcome.fromSize === outcome.size
                ? `Unchanged since this browser's last visit (${outcome.size} entries).`
                : `Verified: the log grew from ${outcome.fromSize} to ${outcome.size} entries without changing any earlier entry (RFC 9162 consistency proof checked here).`}
          </dd>
        </dl>
      )}
      <div class="actions">
        <button type="button" class="secondary" onClick={run}>
          Check again
        </button>
        <button type="button" class="secondary" disabled={checking} onClick={() => void verifyAll()}>
          {checking ? 'Recomputing…' : 'Recompute the whole log on the broker'}
        </button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            download('/api/audit/export').then(
              (blob) => saveBlob(blob, 'steward-audit.ndjson'),
              (e: unknown) => setError(e),
            );
          }}
        >
          Export the log
        </button>
      </div>
      {full && (
        <p role="status" class={full.ok ? 'ok' : 'alarm'}>
          {full.ok ? `Full recompute: all ${full.size} entries verified.` : `Full recompute found ${full.problems.length} problem(s): ${JSON.stringify(full.problems.slice(0, 3))}`}
        </p>
      )}
      {error !== null && (error instanceof ApiError && error.notAvailable ? <Unavailable what="That audit route" /> : <ErrorNote error={error} />)}
    </section>
  );
}

interface Detail {
  index: number;
  event: AuditEvent;
  leafHash: string;
  payload?: unknown;
  erased?: boolean;
}

function DetailView(props: { index: number; onClose: () => void }) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [proofNote, setProofNote] = useState<string | null>(null);
  useEffect(() => {
    setDetail(null);
    api<Detail>('GET', `/api/audit/${props.index}`).then(setDetail, setError);
  }, [props.index]);
  const proof = async (): Promise<void> => {
    try {
      const p = await api<{ index: number; leafHash: string; treeSize: number; proof: string[]; checkpoint: string }>('GET', `/api/audit/${props.index}/proof`);
      const rootLine = p.checkpoint.split('\n')[2] ?? '';
      // the checkpoint must be signed by the log key this browser pinned, and state this size
      const pinned = readMemory(localStorage);
      let signature: SignatureCheck | 'no key pinned yet' = 'no key pinned yet';
      if (pinned) signature = await checkNote({ note: p.checkpoint, size: p.treeSize, rootHash: rootLine, publicKey: { name: pinned.keyName, key: pinned.key } }, pinned.keyName, pinned.key);
      await verifyInclusion(p.index, p.treeSize, decodeHash(p.leafHash), p.proof.map(decodeHash), decodeHash(rootLine));
      setProofNote(
        `Inclusion proof checked in this browser against the checkpoint of ${p.treeSize} entries (signature: ${signature === 'verified' ? 'verified with the pinned log key' : signature}); saved.`,
      );
      saveBlob(new Blob([JSON.stringify(p, null, 2)], { type: 'application/json' }), `steward-audit-${p.index}-proof.json`);
    } catch (e) {
      setError(e);
    }
  };
  const e = detail?.event;
  const data = (e?.data ?? {}) as Record<string, unknown>;
  const reasons = Array.isArray(data.reasons) ? data.reasons : [];
  const signatureFacts = Object.entries(data).filter(([k]) => /kid|sig|jws|hash|thumb|alg|key/i.test(k));
  return (
    <section class="card detail" aria-labelledby="detail-h">
      <header>
        <h2 id="detail-h">Entry {props.index}</h2>
        <button type="button" class="secondary" onClick={props.onClose}>
          Close
        </button>
      </header>
      {error !== null && <ErrorNote error={error} />}
      {!detail && error === null && <p class="muted">Loading…</p>}
      {detail && e && (
        <>
          <dl class="facts">
            <dt>Type</dt>
            <dd>{e.type}</dd>
            <dt>When</dt>
            <dd>
              <time dateTime={e.at}>{formatTime(e.at)}</time>
            </dd>
            <dt>Who</dt>
            <dd>{e.actor}</dd>
            <dt>Summary</dt>
            <dd>{e.summary}</dd>
            {e.decision && (
              <>
                <dt>Decision</dt>
                <dd>{e.decision}</dd>
              </>
            )}
            <dt>Policy version</dt>
            <dd>{e.policyVersion ?? '—'}</dd>
            <dt>Leaf hash</dt>
            <dd>
              <Hash value={detail.leafHash} n={24} />
            </dd>
            {e.flags && e.flags.length > 0 && (
              <>
                <dt>Flags</dt>
                <dd>{e.flags.map(words).join(', ')}</dd>
              </>
            )}
          </dl>
          {reasons.length > 0 && (
            <>
              <h3>Reasons</h3>
              <ul>
                {reasons.map((r, i) => (
                  <li key={i}>{typeof r === 'string' ? r : JSON.stringify(r)}</li>
                ))}
              </ul>
            </>
          )}
          {signatureFacts.length > 0 && (
            <>
              <h3>Signature facts</h3>
              <dl class="facts">
                {signatureFacts.map(([k, v]) => (
                  <>
                    <dt key={`k${k}`}>{k}</dt>
                    <dd key={`v${k}`}>
                      <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>
                    </dd>
                  </>
                ))}
              </dl>
            </>
          )}
          <h3>Payload</h3>
          {detail.erased ? <p>The personal payload was erased at your request; its commitment stays in the log.</p> : detail.payload === undefined ? <p class="muted">No personal payload.</p> : <pre>{JSON.stringify(detail.payload, null, 2)}</pre>}
          <details>
            <summary>The event as logged</summary>
            <pre>{JSON.stringify(e, null, 2)}</pre>
          </details>
          <div class="actions">
            <button type="button" class="secondary" onClick={() => void proof()}>
              Download inclusion proof
            </button>
          </div>
          {proofNote && <p role="status" class="ok">{proofNote}</p>}
        </>
      )}
    </section>
  );
}

/** The audit log: verification state, filters, cursor paging and entry detail. */
export function AuditPage(props: { params: URLSearchParams }) {
  const [draft, setDraft] = useState<Filters>(() => ({ ...EMPTY, ...Object.fromEntries([...props.params].filter(([k]) => k in EMPTY)) }));
  const [filters, setFilters] = useState<Filters>(draft);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<{ entries: AuditEntry[]; nextCursor?: string } | null>(null);
  const [state, setState] = useState<'loading' | 'ok' | 'unavailable' | 'error'>('loading');
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const cursor = cursors[cursors.length - 1];
  useEffect(() => {
    setState('loading');
    api<{ entries: AuditEntry[]; nextCursor?: string }>('GET', `/api/audit?${query(filters, cursor)}`).then(
      (p) => {
        setPage(p);
        setState('ok');
      },
      (e: unknown) => {
        if (e instanceof ApiError && e.notAvailable) setState('unavailable');
        else {
          setError(e);
          setState('error');
        }
      },
    );
  }, [filters, cursor]);
  const field = (name: keyof Filters, label: string, type: 'text' | 'datetime-local' = 'text') => (
    <div class="field">
      <label for={`f-${name}`}>{label}</label>
      {type === 'text' ? (
        <input id={`f-${name}`} type="text" value={draft[name]} onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })} />
      ) : (
        <input id={`f-${name}`} type="datetime-local" value={draft[name]} onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })} />
      )}
    </div>
  );
  return (
    <>
      <h1>Audit log</h1>
      <Verification />
      <section aria-labelledby="log-h">
        <h2 id="log-h">Entries</h2>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setCursors([undefined]);
            setFilters(draft);
          }}
        >
          {field('from', 'From', 'datetime-local')}
          {field('to', 'To', 'datetime-local')}
          {field('vendor', 'Vendor')}
          {field('taskId', 'Task')}
          <div class="field">
            <label for="f-type">Type</label>
            <select id="f-type" value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.currentTarget.value })}>
              <option value="">any</option>
              {AUDIT_EVENT_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="f-decision">Decision</label>
            <select id="f-decision" value={draft.decision} onChange={(e) => setDraft({ ...draft, decision: e.currentTarget.value })}>
              <option value="">any</option>
              <option value="allow">allow</option>
              <option value="ask">ask</option>
              <option value="deny">deny</option>
            </select>
          </div>
          <div class="field">
            <label for="f-flag">Flag</label>
            <select id="f-flag" value={draft.flag} onChange={(e) => setDraft({ ...draft, flag: e.currentTarget.value })}>
              <option value="">any</option>
              {FLAG_KINDS.map((t) => (
                <option key={t} value={t}>
                  {words(t)}
                </option>
              ))}
            </select>
          </div>
          {field('q', 'Text')}
          <div class="actions">
            <button type="submit" class="primary">
              Filter
            </button>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setDraft(EMPTY);
                setFilters(EMPTY);
                setCursors([undefined]);
              }}
            >
              Clear
            </button>
          </div>
        </form>
        {state === 'loading' && <p class="muted" aria-busy="true">Loading entries…</p>}
        {state === 'unavailable' && <Unavailable what="The audit log" />}
        {state === 'error' && <ErrorNote error={error} />}
        {state === 'ok' && page && (
          <>
            <div class="table-wrap" tabIndex={0} aria-label="Audit entries, scrollable">
              <table class="log">
                <caption class="sr-only">Audit entries</caption>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">When</th>
                    <th scope="col">Type</th>
                    <th scope="col">Vendor</th>
                    <th scope="col">Decision</th>
                    <th scope="col">Flags</th>
                    <th scope="col">Summary</th>
                  </tr>
                </thead>
                <tbody>
                  {page.entries.length === 0 && (
                    <tr>
                      <td colSpan={7} class="muted">
                        No entries match.
                      </td>
                    </tr>
                  )}
                  {page.entries.map((en) => (
                    <tr key={en.index} aria-selected={selected === en.index}>
                      <td>
                        <button type="button" class="link" onClick={() => setSelected(en.index)} aria-label={`Open entry ${en.index}`}>
                          {en.index}
                        </button>
                      </td>
                      <td>
                        <time dateTime={en.event.at}>{formatTime(en.event.at)}</time>
                      </td>
                      <td>{en.event.type}</td>
                      <td>{en.event.vendor ?? ''}</td>
                      <td>{en.event.decision ? <span class={`badge decision-${en.event.decision}`}>{en.event.decision}</span> : ''}</td>
                      <td>{(en.event.flags ?? []).map(words).join(', ')}</td>
                      <td>{en.event.summary}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav class="pager" aria-label="Pages of entries">
              <button type="button" class="secondary" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
                Previous page
              </button>
              <span class="muted">Page {cursors.length}</span>
              <button type="button" class="secondary" disabled={!page.nextCursor} onClick={() => setCursors([...cursors, page.nextCursor])}>
                Next page
              </button>
            </nav>
          </>
        )}
      </section>
      {selected !== null && <DetailView index={selected} onClose={() => setSelected(null)} />}
    </>
  );
}

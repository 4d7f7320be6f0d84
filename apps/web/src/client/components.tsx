import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './lib/api.ts';
import { formatMoney, formatTime, safeHref, shortHash, words } from './lib/format.ts';
import type { Approval, Flag, OfferFlag, OfferView } from './lib/types.ts';

/** The state of one API read. */
export type Load<T> =
  | { state: 'loading' }
  | { state: 'ok'; data: T }
  | { state: 'unavailable' }
  | { state: 'error'; error: ApiError | Error };

/** Reads a GET route and keeps its state; `reload` reads it again. */
export function useApi<T>(path: string | null): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    api<T>('GET', path).then(
      (data) => live && setLoad({ state: 'ok', data }),
      (error: unknown) => {
        if (!live) return;
        if (error instanceof ApiError && error.notAvailable) setLoad({ state: 'unavailable' });
        else setLoad({ state: 'error', error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  return [load, useCallback(() => setTick((t) => t + 1), [])];
}

/** The calm state for a route this build does not serve. */
export function Unavailable(props: { what: string }) {
  return (
    <p class="unavailable" role="status">
      {props.what} is not available in this build of the broker.
    </p>
  );
}

/** An error with its stable code, so the person can look it up in docs/errors.md. */
export function ErrorNote(props: { error: unknown }) {
  const e = props.error;
  if (e instanceof ApiError && e.notAvailable) {
    return (
      <p class="unavailable" role="status">
        That is not available in this build of the broker.
      </p>
    );
  }
  if (e instanceof ApiError) {
    return (
      <div class="error" role="alert">
        <strong>{e.message}</strong> <code>{e.code}</code>
        {e.problem.issues && e.problem.issues.length > 0 && (
          <ul>
            {e.problem.issues.slice(0, 10).map((issue, i) => (
              <li key={i}>{typeof issue === 'object' && issue && 'message' in issue ? String(issue.message) : JSON.stringify(issue)}</li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  return (
    <div class="error" role="alert">
      <strong>{e instanceof Error ? e.message : String(e)}</strong>
    </div>
  );
}

/** Renders a {@link Load}: loading, unavailable, error or the children for the data. */
export function Loaded<T>(props: { load: Load<T>; what: string; children: (data: T) => ComponentChildren }) {
  const { load } = props;
  switch (load.state) {
    case 'loading':
      return <p class="muted" aria-busy="true">Loading {props.what}…</p>;
    case 'unavailable':
      return <Unavailable what={props.what} />;
    case 'error':
      return <ErrorNote error={load.error} />;
    case 'ok':
      return <>{props.children(load.data)}</>;
  }
}

/** A hash shown short, in full on hover and for screen readers. */
export function Hash(props: { value: string | undefined; n?: number }) {
  return (
    <code class="hash" title={props.value} aria-label={props.value}>
      {shortHash(props.value, props.n)}
    </code>
  );
}

/** Text a vendor wrote: always labelled, never HTML, never instructions. */
export function VendorWords(props: { text: unknown }) {
  const t = props.text;
  if (t === undefined || t === null || t === '') return null;
  const entries: [string, string][] =
    typeof t === 'string'
      ? [['', t]]
      : typeof t === 'object'
        ? Object.entries(t as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])
        : [['', JSON.stringify(t)]];
  return (
    <figure class="vendor-words">
      <figcaption>Vendor's words (unverified; your agent treats them as data, not instructions)</figcaption>
      {entries.map(([k, v]) => (
        <blockquote key={k}>
          {k && <span class="muted">{k}: </span>}
          {v}
        </blockquote>
      ))}
    </figure>
  );
}

const SEVERITY_LABEL = { info: 'Note', warning: 'Warning', critical: 'Critical' } as const;

/** A flag with its evidence path: every fact with its relation, dates and source. */
export function FlagView(props: { flag: Flag | OfferFlag; origin?: string }) {
  const f = props.flag;
  const evidence = 'evidence' in f ? f.evidence : undefined;
  const notes = 'notes' in f ? f.notes : undefined;
  return (
    <li class={`flag flag-${f.severity}`}>
      <span class="flag-kind">
        {SEVERITY_LABEL[f.severity]}: {words(f.kind)}
      </span>{' '}
      <span>{f.summary}</span>
      {'confidence' in f && <span class="muted"> (confidence {Math.round(f.confidence * 100)}%)</span>}
      {evidence && evidence.length > 0 && (
        <details>
          <summary>Evidence ({evidence.length} fact{evidence.length === 1 ? '' : 's'})</summary>
          <ol class="evidence">
            {evidence.map((e, i) => (
              <li key={i}>
                {e.childName ?? e.child} <em>{words(e.relation)}</em> {e.parentName ?? e.parent}
                {e.stake !== undefined && ` (${Math.round(e.stake * 100)}%)`}
                {(e.validFrom ?? e.validTo) && <span class="muted"> {e.validFrom ?? '…'} – {e.validTo ?? 'now'}</span>}
                <br />
                <span class="muted">
                  source ({e.origin}): {e.source}
                  {e.sourceUrl && (
                    <>
                      {' '}
                      {safeHref(e.sourceUrl) ? (
                        <a href={safeHref(e.sourceUrl)} rel="noopener noreferrer" target="_blank">
                          {e.sourceUrl}
                        </a>
                      ) : (
                        <span>{e.sourceUrl}</span>
                      )}
                    </>
                  )}
                </span>
              </li>
            ))}
          </ol>
        </details>
      )}
      {notes && notes.length > 0 && (
        <ul class="muted">
          {notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      {!evidence && props.origin && (
        <>
          {' '}
          <a href={`#/vendors?origin=${encodeURIComponent(props.origin)}`}>See the ownership evidence</a>
        </>
      )}
    </li>
  );
}

/** A list of flags, or nothing. */
export function Flags(props: { flags: readonly (Flag | OfferFlag)[]; origin?: string }) {
  if (props.flags.length === 0) return null;
  return (
    <ul class="flags" aria-label="Flags">
      {props.flags.map((f, i) => (
        <FlagView key={i} flag={f} {...(props.origin ? { origin: props.origin } : {})} />
      ))}
    </ul>
  );
}

/** Whether a vendor's identity was verified, said in words. */
export function VerifiedBadge(props: { verified: boolean; level?: string | undefined }) {
  return props.verified ? (
    <span class="badge badge-ok">Verified{props.level && props.level !== 'verified' ? ` (${words(props.level)})` : ''}</span>
  ) : (
    <span class="badge badge-warn">Not verified</span>
  );
}

function feeRows(fees: OfferView['fees']): { label: string; amount: string }[] {
  if (!fees) return [];
  if (Array.isArray(fees)) return fees.map((f) => ({ label: f.label ?? f.name ?? f.kind ?? 'fee', amount: formatMoney(f.amount) }));
  if ('amountMinor' in fees) return [{ label: 'fees', amount: formatMoney(fees) }];
  return [];
}

/** A vendor's signed offer as the broker verified and screened it. */
export function OfferCard(props: { offer: OfferView; onCounter?: (offer: OfferView) => void }) {
  const o = props.offer;
  return (
    <article class="card offer" aria-label={`Offer from ${o.vendor.displayName}`}>
      <header>
        <h4>{o.vendor.displayName}</h4>
        <VerifiedBadge verified={o.vendor.verified} level={o.vendor.verificationLevel} />
        {o.sponsored && <span class="badge badge-sponsored">Sponsored (paid placement)</span>}
        {o.round > 0 && <span class="badge">Counter round {o.round}</span>}
      </header>
      <p class="muted small">
        {o.vendor.origin} · offer <Hash value={o.offerHash} /> · expires {formatTime(o.expiresAt)}
      </p>
      <table class="items">
        <caption class="sr-only">Items</caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Qty</th>
            <th scope="col" class="num">Line total</th>
          </tr>
        </thead>
        <tbody>
          {o.items.map((it) => (
            <tr key={it.sku}>
              <td>{it.name}</td>
              <td>{it.quantity}</td>
              <td class="num">{formatMoney(it.lineTotal)}</td>
            </tr>
          ))}
          {feeRows(o.fees).map((f, i) => (
            <tr key={`fee${i}`}>
              <td colSpan={2}>{f.label}</td>
              <td class="num">{f.amount}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={2}>
              All-in total{o.billingPeriod && o.billingPeriod !== 'one_time' ? ` (${words(o.billingPeriod)})` : ''}
            </th>
            <td class="num total">{formatMoney(o.total)}</td>
          </tr>
        </tfoot>
      </table>
      {o.constraintGaps.length > 0 && (
        <p class="warn">Does not meet: {o.constraintGaps.join('; ')}</p>
      )}
      {o.sameParty && (
        <p class="warn">
          One owner: {o.vendor.displayName} and {o.sameParty.vendors.join(', ')} are one party. Count their offers as one
          competitor, not rivals.
        </p>
      )}
      <Flags flags={o.flags} origin={o.vendor.origin} />
      <VendorWords text={o.untrustedVendorText} />
      {props.onCounter && (
        <button type="button" class="secondary" onClick={() => props.onCounter?.(o)}>
          Counter-offer…
        </button>
      )}
    </article>
  );
}

/** The outcome of answering an approval. */
export interface ApprovalOutcome {
  status?: string;
  reasons?: unknown[];
  orderId?: string;
}

// An approval may be on screen twice (in the conversation and in "Waiting for you"): an answer
// given on one card shows on every card for that id, so nobody is asked to answer twice.
const answers = new Map<string, ApprovalOutcome>();
const answerListeners = new Set<() => void>();

function recordAnswer(approvalId: string, outcome: ApprovalOutcome): void {
  answers.set(approvalId, outcome);
  for (const l of answerListeners) l();
}

/**
 * An approval card, rendered only from the Approval's structured fields (never vendor wording),
 * with Approve / Decline bound to that exact approval id.
 */
export function ApprovalCard(props: { approval: Approval; onAnswered?: (outcome: ApprovalOutcome) => void }) {
  const a = props.approval;
  const s = a.summary;
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ApprovalOutcome | null>(answers.get(a.approvalId) ?? null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const sync = (): void => setOutcome(answers.get(a.approvalId) ?? null);
    answerListeners.add(sync);
    sync();
    return () => {
      answerListeners.delete(sync);
    };
  }, [a.approvalId]);
  const answer = async (value: 'approve' | 'deny'): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const result = await api<ApprovalOutcome>('POST', `/api/approvals/${encodeURIComponent(a.approvalId)}`, { answer: value });
      recordAnswer(a.approvalId, result);
      props.onAnswered?.(result);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const headingId = `ap-${a.approvalId}`;
  const open = a.status === 'pending' && !outcome;
  return (
    <article class="card approval" aria-labelledby={headingId}>
      <header>
        <h4 id={headingId}>
          Your approval is needed: {words(a.kind)}
          {s.vendorName ? ` from ${s.vendorName}` : ''}
        </h4>
        <span class="badge">{a.status}</span>
      </header>
      {s.vendor && <p class="muted small">Vendor: {s.vendor}</p>}
      {s.items.length > 0 && (
        <table class="items">
          <caption class="sr-only">Items to be ordered</caption>
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">Qty</th>
              <th scope="col" class="num">Line total</th>
            </tr>
          </thead>
          <tbody>
            {s.items.map((it, i) => (
              <tr key={i}>
                <td>{it.name}</td>
                <td>{it.quantity}</td>
                <td class="num">{formatMoney(it.lineTotal)}</td>
              </tr>
            ))}
          </tbody>
          {s.total && (
            <tfoot>
              <tr>
                <th scope="row" colSpan={2}>
                  All-in total
                </th>
                <td class="num total">{formatMoney(s.total)}</td>
              </tr>
            </tfoot>
          )}
        </table>
      )}
      <p>
        <strong>Data to be shared:</strong> {s.dataToShare.length > 0 ? s.dataToShare.map(words).join(', ') : 'nothing personal'}
      </p>
      {s.reasons.length > 0 && (
        <div>
          <strong>Why you are asked:</strong>
          <ul class="reasons">
            {s.reasons.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        </div>
      )}
      <Flags flags={s.flags} />
      <p class="muted small">
        Policy version <Hash value={a.policyVersion} /> · expires {formatTime(a.expiresAt)} (no answer means no) · bound to <Hash value={a.subjectHash} />
      </p>
      {open && (
        <div class="actions">
          <button type="button" class="primary" disabled={busy} onClick={() => void answer('approve')} aria-label={`Approve ${words(a.kind)} ${a.approvalId}`}>
            Approve
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => void answer('deny')} aria-label={`Decline ${words(a.kind)} ${a.approvalId}`}>
            Decline
          </button>
        </div>
      )}
      {outcome && (
        <p role="status" class="outcome">
          Answered: {outcome.status ?? 'done'}
          {outcome.orderId ? ` · order ${outcome.orderId}` : ''}
        </p>
      )}
      {error !== null && <ErrorNote error={error} />}
    </article>
  );
}

import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './styles.css';
import { api, ApiError, clearToken, setUnauthorizedHandler, storedToken, storeToken } from './lib/api.ts';
import { PAGES, href, useRoute, type PageId } from './lib/router.ts';
import type { StatusView } from './lib/types.ts';
import { connectLive, onLive } from './live.ts';
import { witnessLog, type CheckpointView } from './lib/witness.ts';
import { Unavailable } from './components.tsx';
import { ChatPage } from './pages/chat.tsx';
import { AuditPage } from './pages/audit.tsx';
import { PoliciesPage } from './pages/policies.tsx';
import { VendorsPage } from './pages/vendors.tsx';
import { DataPage } from './pages/data.tsx';

function SignIn(props: { onSignedIn: () => void; reason?: string | undefined }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const t = token.trim();
    try {
      await api('GET', '/api/version', undefined, t);
      storeToken(t);
      props.onSignedIn();
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That token is not right. Copy it again from the token file.' : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin" id="main">
      <h1>Steward</h1>
      <p>Your trust broker. Sign in with the API token the broker printed when it started; it is also saved in <code>./data/token</code>.</p>
      {props.reason && <p class="warn" role="status">{props.reason}</p>}
      <form onSubmit={(e) => void submit(e)}>
        <label for="token">API token</label>
        <input id="token" type="password" autoComplete="off" spellcheck={false} required value={token} onInput={(e) => setToken(e.currentTarget.value)} aria-describedby="token-help" />
        <p id="token-help" class="muted small">
          Kept only in this tab (sessionStorage) and sent in the Authorization header; closing the tab or signing out forgets it.
        </p>
        <button type="submit" class="primary" disabled={busy || token.trim() === ''}>
          Sign in
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

/** The agent's provenance and mode, always on screen: who made it, who owns what, who answers. */
function ProvenanceBar(props: { status: StatusView | 'unavailable' | null }) {
  const s = props.status;
  if (s === null) return <div class="provenance muted">Loading your agent's provenance…</div>;
  if (s === 'unavailable') {
    return (
      <div class="provenance">
        <Unavailable what="Your agent's provenance (/api/status)" />
      </div>
    );
  }
  const m = s.agent.manifest;
  return (
    <div class="provenance" aria-label="Your agent's provenance">
      <p>
        <strong>
          {m.agent.name} {m.agent.version}
        </strong>{' '}
        is made by <strong>{m.maker.name}</strong>, operated by <strong>{m.operator.name}</strong>, model from <strong>{m.modelProvider.name}</strong>
        {m.declaredAffiliations.length > 0 && (
          <>
            ; its maker declares: {m.declaredAffiliations.map((d, i) => <span key={i}>{i > 0 ? ', ' : ''}{d.relation.replace(/_/g, ' ')} {d.entity.name}</span>)}
          </>
        )}
        .{' '}
        <a href={href('vendors', { agent: '1' })}>Ownership graph</a>
      </p>
      <details class="small" open={!matchMedia('(max-width: 720px)').matches}>
        <summary>What this means for you</summary>
        {s.agent.disclosure}
      </details>
      <p class="small">
        <span class={s.mode === 'model' ? 'badge' : 'badge badge-offline'}>
          {s.mode === 'model' ? `A language model is answering: ${s.model ?? 'unnamed model'}` : 'Offline rules mode: no language model is answering'}
        </span>{' '}
        Policy version <code title={s.policyVersion}>{s.policyVersion.slice(0, 12)}</code> · {s.pendingApprovals} approval{s.pendingApprovals === 1 ? '' : 's'} waiting
        {s.unsettledOrders !== undefined && s.unsettledOrders > 0 && (
          <>
            {' · '}
            <a href={href('vendors')} class="warn">
              {s.unsettledOrders} order{s.unsettledOrders === 1 ? '' : 's'} with an unknown outcome: tell us what happened
            </a>
          </>
        )}
      </p>
    </div>
  );
}

function Shell(props: { onSignOut: () => void }) {
  const route = useRoute();
  const [status, setStatus] = useState<StatusView | 'unavailable' | null>(null);
  const [live, setLive] = useState<'connected' | 'reconnecting' | 'unavailable'>('reconnecting');
  const [alarm, setAlarm] = useState<string | null>(null);
  useEffect(() => {
    // the browser checks the audit log on every sign-in, whatever page is open
    witnessLog(
      {
        checkpoint: () => api<CheckpointView>('GET', '/api/audit/checkpoint'),
        consistency: (from, to) => api('GET', `/api/audit/consistency?from=${from}&to=${to}`),
      },
      localStorage,
    ).then(
      (outcome) => setAlarm(outcome.state === 'alarm' ? outcome.reason : null),
      () => undefined, // not served, or unreachable: the audit page says so
    );
  }, []);
  useEffect(() => {
    const load = (): void => {
      api<StatusView>('GET', '/api/status').then(setStatus, (e: unknown) => {
        if (e instanceof ApiError && e.notAvailable) setStatus('unavailable');
      });
    };
    load();
    const stop = connectLive(setLive);
    const off = onLive((event) => {
      if (event.type === 'approval' || event.type === 'audit') load();
    });
    return () => {
      stop();
      off();
    };
  }, []);
  const firstPage = useRef(true);
  useEffect(() => {
    document.title = `${PAGES.find((p) => p.id === route.page)?.label ?? ''} · Steward`;
    // after a page change, focus moves to the new content (not on first load: Tab starts at the skip link)
    if (firstPage.current) firstPage.current = false;
    else document.getElementById('main')?.focus();
  }, [route.page]);
  const page = (id: PageId) => {
    switch (id) {
      case 'chat':
        return <ChatPage />;
      case 'audit':
        return <AuditPage params={route.params} />;
      case 'policies':
        return <PoliciesPage />;
      case 'vendors':
        return <VendorsPage params={route.params} />;
      case 'data':
        return <DataPage />;
    }
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">Steward</div>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.id}>
                <a href={href(p.id)} aria-current={route.page === p.id ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`live live-${live}`} role="status" aria-live="polite">
          {live === 'connected' ? 'Live' : live === 'unavailable' ? 'No live events' : 'Reconnecting…'}
        </span>
        <button type="button" class="secondary" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      {alarm && route.page !== 'audit' && (
        <div class="alarm banner-alarm" role="alert">
          <strong>Alarm: the audit log failed this browser's check.</strong> {alarm}. <a href={href('audit')}>See the audit log</a>
        </div>
      )}
      <ProvenanceBar status={status} />
      <main id="main" tabIndex={-1}>
        {page(route.page)}
      </main>
    </>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(() => storedToken() !== null);
  const [reason, setReason] = useState<string | undefined>(undefined);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      clearToken();
      setReason('The broker did not accept the token (it may have been replaced). Sign in again.');
      setSignedIn(false);
    });
  }, []);
  if (!signedIn) return <SignIn reason={reason} onSignedIn={() => setSignedIn(true)} />;
  return (
    <Shell
      onSignOut={() => {
        clearToken();
        setReason(undefined);
        setSignedIn(false);
      }}
    />
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);

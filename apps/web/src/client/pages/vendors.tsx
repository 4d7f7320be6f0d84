import { useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { formatMoney, safeHref, words } from '../lib/format.ts';
import { layoutGraph } from '../lib/layout.ts';
import type { Graph, Money } from '../lib/types.ts';
import { ErrorNote, Hash, Loaded, useApi, VendorWords, VerifiedBadge } from '../components.tsx';

interface VendorRow {
  origin: string;
  displayName: string;
  status: string;
  categories: string[];
  keyThumbprints: string[];
  verified: boolean;
  verificationLevel?: string;
  registry?: string;
  cardForm?: string;
  drift?: unknown;
}

/** An SVG drawing of who owns whom, each edge labelled and listed with its source. */
export function OwnershipGraph(props: { graph: Graph; highlight?: readonly string[]; title: string }) {
  const width = 640;
  const rowHeight = 90;
  const placed = layoutGraph(props.graph.nodes, props.graph.edges, { width, rowHeight, top: 30 });
  const at = new Map(placed.map((p) => [p.id, p]));
  const height = Math.max(80, (Math.max(0, ...placed.map((p) => p.layer)) + 1) * rowHeight);
  const titleId = `g-${props.title.replace(/\W+/g, '-')}`;
  if (props.graph.nodes.length === 0) return <p class="muted">No ownership facts are known.</p>;
  return (
    <figure class="graph">
      <div class="scroll" tabIndex={0} aria-label="Ownership drawing, scrollable">
        <svg
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-labelledby={titleId}
          preserveAspectRatio="xMidYMin meet"
        >
          <title id={titleId}>{props.title}</title>
          <defs>
            <marker
              id="arrow"
              viewBox="0 0 10 10"
              refX="10"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
            </marker>
          </defs>
          {props.graph.edges.map((e, i) => {
            const a = at.get(e.from);
            const b = at.get(e.to);
            if (!a || !b) return null;
            return (
              <g key={i} class={`edge edge-${e.relation}`}>
                <title>{`${a.name} ${words(e.relation)} ${b.name} — source: ${e.source}`}</title>
                <line x1={a.x} y1={a.y + 14} x2={b.x} y2={b.y - 16} marker-end="url(#arrow)" />
                <text x={(a.x + b.x) / 2 + 6} y={(a.y + b.y) / 2} class="edge-label">
                  {words(e.relation)}
                </text>
              </g>
            );
          })}
          {placed.map((p) => (
            <g key={p.id} class={`node${props.highlight?.includes(p.id) ? ' node-focus' : ''}`}>
              <rect x={p.x - 85} y={p.y - 14} width={170} height={28} rx={6} />
              <text x={p.x} y={p.y + 5} text-anchor="middle">
                {p.name.length > 24 ? `${p.name.slice(0, 23)}…` : p.name}
              </text>
            </g>
          ))}
        </svg>
      </div>
      <figcaption>
        <table class="small">
          <caption>Facts in this drawing, with their sources</caption>
          <thead>
            <tr>
              <th scope="col">Fact</th>
              <th scope="col">Valid</th>
              <th scope="col">Source</th>
            </tr>
          </thead>
          <tbody>
            {props.graph.edges.map((e, i) => (
              <tr key={i}>
                <td>
                  {at.get(e.from)?.name ?? e.from} <em>{words(e.relation)}</em> {at.get(e.to)?.name ?? e.to}
                </td>
                <td>
                  {e.validFrom ?? '…'} – {e.validTo ?? 'now'}
                </td>
                <td>
                  {e.origin}: {e.source}
                  {safeHref(e.sourceUrl) && (
                    <>
                      {' '}
                      <a href={safeHref(e.sourceUrl)} rel="noopener noreferrer" target="_blank">
                        link
                      </a>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}

/**
 * Spending over time against budgets: the running total of the latest month in the series, with
 * each monthly budget's limit drawn as a line (same currency only; money stays in minor units).
 */
function CumulativeChart(props: {
  series: { day: string; amountMinor: number; currency: string }[];
  budgets: { id: string; reason: string; limit: Money; window: string }[];
}) {
  const month = props.series.at(-1)?.day.slice(0, 7);
  const currency = props.series.at(-1)?.currency;
  if (!month || !currency) return null;
  const days = props.series.filter((s) => s.day.startsWith(month) && s.currency === currency);
  let total = 0;
  const points = days.map((d) => ({ day: Number(d.day.slice(8, 10)), total: (total += d.amountMinor) }));
  const limits = props.budgets.filter((b) => /month/.test(b.window) && b.limit.currency === currency);
  const max = Math.max(1, total, ...limits.map((b) => b.limit.amountMinor)) * 1.05;
  const w = 640;
  const h = 160;
  const x = (day: number): number => Math.round(((day - 1) / 30) * (w - 40)) + 20;
  const y = (amount: number): number => Math.round(h - (amount / max) * (h - 10));
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h + 20}`} role="img" aria-labelledby="cum-title">
        <title id="cum-title">{`Running total for ${month}: ${formatMoney({ amountMinor: total, currency })}, against ${limits.length} monthly budget${limits.length === 1 ? '' : 's'}`}</title>
        <line x1={0} y1={h} x2={w} y2={h} class="axis" />
        {limits.map((b) => (
          <g key={b.id} class="limit">
            <line x1={20} x2={w - 20} y1={y(b.limit.amountMinor)} y2={y(b.limit.amountMinor)} />
            <text x={w - 20} y={y(b.limit.amountMinor) - 4} text-anchor="end" class="tick">
              {`${b.reason || b.id}: ${formatMoney(b.limit)}`}
            </text>
          </g>
        ))}
        <polyline class="running" points={points.map((p) => `${x(p.day)},${y(p.total)}`).join(' ')} />
        {points.map((p) => (
          <circle key={p.day} cx={x(p.day)} cy={y(p.total)} r={3} class="running-dot">
            <title>{`${month}-${String(p.day).padStart(2, '0')}: ${formatMoney({ amountMinor: p.total, currency })} so far`}</title>
          </circle>
        ))}
        <text x={20} y={h + 15} class="tick">{`${month}-01`}</text>
      </svg>
    </figure>
  );
}

/** An order whose outcome is unknown, as `GET /api/orders?status=unsettled` lists it. */
interface UnsettledOrder {
  orderId: string;
  taskId: string;
  taskSummary: string;
  vendor: { origin: string; displayName: string };
  total: Money;
  reason: string;
  signedAt: string;
}

/**
 * Orders the vendor never answered: their money counts against the budgets until the person says
 * what happened. Every word is the app's own, filled in from structured fields; voiding asks first.
 */
function UnsettledOrders(props: { onSettled: () => void }) {
  const [load, reload] = useApi<{ orders: UnsettledOrder[] }>('/api/orders?status=unsettled');
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const settle = (o: UnsettledOrder, outcome: 'taken' | 'not_taken'): void => {
    const name = o.vendor.displayName;
    const money = formatMoney(o.total);
    if (
      outcome === 'not_taken' &&
      !confirm(
        `Are you sure ${name} did not take this order? Its ${money} will stop counting against your budgets at once. ` +
          `Only confirm after checking with ${name} (for example, you were not charged).`,
      )
    )
      return;
    setBusy(o.orderId);
    setError(null);
    api<{ outcome: string }>('POST', `/api/orders/${encodeURIComponent(o.orderId)}/settle`, { outcome }).then(
      () => {
        setNote(
          outcome === 'taken'
            ? `Noted: ${name} took the order; its ${money} stays counted against your budgets.`
            : `Noted: ${name} did not take the order; its ${money} no longer counts against your budgets.`,
        );
        setBusy(null);
        reload();
        props.onSettled();
      },
      (e: unknown) => {
        setBusy(null);
        setError(e);
        reload();
      },
    );
  };
  // Nothing waiting (or a build without the route): nothing to show but the last answer.
  if (load.state === 'unavailable' || (load.state === 'ok' && load.data.orders.length === 0)) {
    return note === null && error === null ? null : (
      <section aria-label="Orders with an unknown outcome">
        {note !== null && (
          <p role="status" class="ok">
            {note}
          </p>
        )}
        {error !== null && <ErrorNote error={error} />}
      </section>
    );
  }
  return (
    <section aria-labelledby="unsettled-h">
      <h2 id="unsettled-h">Orders with an unknown outcome</h2>
      <Loaded load={load} what="Orders with an unknown outcome">
        {(data) => (
          <div class="stack">
            {data.orders.map((o) => (
              <article key={o.orderId} class="card approval" aria-label={`Order at ${o.vendor.displayName} with an unknown outcome`}>
                <p>
                  <strong>
                    We do not know whether {o.vendor.displayName} took this order; its {formatMoney(o.total)} counts
                    against your budget until you tell us.
                  </strong>
                </p>
                <p class="small muted">
                  Task: {o.taskSummary || o.taskId} · signed {o.signedAt.slice(0, 16).replace('T', ' ')} UTC · order{' '}
                  <Hash value={o.orderId} />
                </p>
                <div class="actions">
                  <button
                    type="button"
                    disabled={busy !== null}
                    onClick={() => settle(o, 'taken')}
                    aria-label={`${o.vendor.displayName} took order ${o.orderId} (you were charged)`}
                  >
                    Taken: I was charged
                  </button>
                  <button
                    type="button"
                    class="danger"
                    disabled={busy !== null}
                    onClick={() => settle(o, 'not_taken')}
                    aria-label={`${o.vendor.displayName} did not take order ${o.orderId}`}
                  >
                    Not taken…
                  </button>
                </div>
              </article>
            ))}
          </div>
        )}
      </Loaded>
      {note !== null && (
        <p role="status" class="ok">
          {note}
        </p>
      )}
      {error !== null && <ErrorNote error={error} />}
    </section>
  );
}

/** Daily spending as bars, with each budget's use as a bar against its limit. */
function Spending() {
  const [load] = useApi<{
    budgets: { id: string; reason: string; limit: Money; spent: Money; window: string; eachVendor?: boolean; topVendor?: string }[];
    series: { day: string; amountMinor: number; currency: string }[];
  }>('/api/spending');
  return (
    <section aria-labelledby="spend-h">
      <h2 id="spend-h">Spending</h2>
      <Loaded load={load} what="Spending">
        {(data) => {
          const series = data.series.slice(-31);
          const max = Math.max(1, ...series.map((s) => s.amountMinor));
          const w = 640;
          const h = 160;
          const bw = series.length > 0 ? w / series.length : w;
          return (
            <>
              <figure class="chart">
                <svg viewBox={`0 0 ${w} ${h + 20}`} role="img" aria-labelledby="spend-title">
                  <title id="spend-title">
                    Spending per day over the last {series.length} days with spending
                  </title>
                  <line x1={0} y1={h} x2={w} y2={h} class="axis" />
                  {series.map((s, i) => {
                    const bh = Math.round((s.amountMinor / max) * (h - 10));
                    return (
                      <g key={s.day}>
                        <title>{`${s.day}: ${formatMoney({ amountMinor: s.amountMinor, currency: s.currency })}`}</title>
                        <rect x={i * bw + 2} y={h - bh} width={Math.max(1, bw - 4)} height={bh} class="bar" />
                        {(i === 0 || i === series.length - 1) && (
                          <text x={i === 0 ? 2 : w - 2} y={h + 15} text-anchor={i === 0 ? 'start' : 'end'} class="tick">
                            {s.day}
                          </text>
                        )}
                      </g>
                    );
                  })}
                </svg>
                <figcaption class="sr-only">
                  {series
                    .map(
                      (s) => `${s.day}: ${formatMoney({ amountMinor: s.amountMinor, currency: s.currency })}`,
                    )
                    .join('; ')}
                </figcaption>
              </figure>
              <CumulativeChart series={data.series} budgets={data.budgets} />
              <ul class="budgets">
                {data.budgets.map((b) => {
                  const ratio =
                    b.limit.amountMinor > 0 ? Math.min(1, b.spent.amountMinor / b.limit.amountMinor) : 0;
                  return (
                    <li key={b.id}>
                      <div>
                        <strong>{b.reason || b.id}</strong> ({b.window}
                        {b.eachVendor ? ', each vendor on its own' : ''}): {formatMoney(b.spent)}
                        {b.eachVendor && b.topVendor ? ` at ${b.topVendor}` : ''} of {formatMoney(b.limit)}
                      </div>
                      <svg
                        viewBox="0 0 200 10"
                        class="meter"
                        role="img"
                        aria-label={`${Math.round(ratio * 100)}% of the budget used`}
                      >
                        <rect x={0} y={0} width={200} height={10} class="meter-bg" />
                        <rect
                          x={0}
                          y={0}
                          width={Math.round(200 * ratio)}
                          height={10}
                          class={ratio >= 0.9 ? 'meter-hot' : 'meter-fill'}
                        />
                      </svg>
                    </li>
                  );
                })}
              </ul>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

function VendorProvenance(props: { origin: string }) {
  const [load] = useApi<{
    vendor: unknown;
    entity?: { id: string; name: string };
    paths: unknown[];
    graph: Graph;
  }>(`/api/provenance/vendor?origin=${encodeURIComponent(props.origin)}`);
  return (
    <section aria-labelledby="vprov-h" class="card">
      <h2 id="vprov-h">Who owns {props.origin}</h2>
      <Loaded load={load} what="Vendor provenance">
        {(data) => (
          <OwnershipGraph
            graph={data.graph}
            title={`Ownership around ${props.origin}`}
            {...(data.entity ? { highlight: [data.entity.id] } : {})}
          />
        )}
      </Loaded>
    </section>
  );
}

function AgentProvenance() {
  const [load] = useApi<{ manifest: unknown; disclosure: string; graph: Graph }>('/api/provenance/agent');
  return (
    <section aria-labelledby="aprov-h" class="card">
      <h2 id="aprov-h">Who is behind your agent</h2>
      <Loaded load={load} what="Your agent's provenance">
        {(data) => (
          <>
            <p>{data.disclosure}</p>
            <OwnershipGraph graph={data.graph} title="Ownership around your agent" />
          </>
        )}
      </Loaded>
    </section>
  );
}

function Enrol(props: { onDone: () => void }) {
  const [origin, setOrigin] = useState('');
  const [preview, setPreview] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  return (
    <section aria-labelledby="enrol-h">
      <h2 id="enrol-h">Enrol a vendor</h2>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          setNote(null);
          api<Record<string, unknown>>('POST', '/api/vendors', { origin: origin.trim() }).then(
            setPreview,
            setError,
          );
        }}
      >
        <label for="enrol-origin">Vendor origin</label>
        <input
          id="enrol-origin"
          type="url"
          placeholder="https://shop.example"
          required
          value={origin}
          onInput={(e) => setOrigin(e.currentTarget.value)}
        />
        <button type="submit" class="secondary">
          Preview its card
        </button>
      </form>
      {preview && (
        <div class="card">
          <h3>Card to enrol (check it before you confirm)</h3>
          <dl class="facts">
            {Object.entries(preview)
              .filter(([, v]) => typeof v !== 'object' || v === null)
              .map(([k, v]) => (
                <>
                  <dt key={`k${k}`}>{k}</dt>
                  <dd key={`v${k}`}>{String(v)}</dd>
                </>
              ))}
          </dl>
          <VendorWords text={(preview.card as { description?: unknown } | undefined)?.description} />
          <details>
            <summary>Everything the vendor's card says</summary>
            <pre>{JSON.stringify(preview, null, 2)}</pre>
          </details>
          <div class="actions">
            <button
              type="button"
              class="primary"
              onClick={() => {
                // Bind the enrolment to the card the person saw: a card changed since the preview is refused.
                const cardHash = typeof preview.cardHash === 'string' ? preview.cardHash : undefined;
                api('POST', '/api/vendors/confirm', { origin: origin.trim(), ...(cardHash ? { cardHash } : {}) }).then(() => {
                  setNote(`Enrolled ${origin.trim()}.`);
                  setPreview(null);
                  props.onDone();
                }, setError);
              }}
            >
              Confirm enrolment
            </button>
            <button type="button" class="secondary" onClick={() => setPreview(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {note && (
        <p role="status" class="ok">
          {note}
        </p>
      )}
      {error !== null && <ErrorNote error={error} />}
    </section>
  );
}

/** Vendors, their keys and status; ownership graphs; spending against budgets. */
export function VendorsPage(props: { params: URLSearchParams }) {
  const [load, reload] = useApi<{ vendors: VendorRow[] }>('/api/vendors');
  const [selected, setSelected] = useState<string | null>(props.params.get('origin'));
  const [error, setError] = useState<unknown>(null);
  // Settling an order changes what is spent: the spending section is drawn afresh.
  const [spendingVersion, setSpendingVersion] = useState(0);
  const revoke = (v: VendorRow): void => {
    const reason = prompt(
      `Revoke ${v.displayName} (${v.origin})? It takes effect at once. Reason (optional):`,
    );
    if (reason === null) return;
    api(
      'POST',
      '/api/vendors/revoke',
      reason.trim() ? { origin: v.origin, reason: reason.trim() } : { origin: v.origin },
    ).then(reload, setError);
  };
  return (
    <>
      <h1>Vendors and provenance</h1>
      <section aria-labelledby="vendors-h">
        <h2 id="vendors-h">Enrolled vendors</h2>
        <Loaded load={load} what="The vendor list">
          {(data) => (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Vendor</th>
                    <th scope="col">Identity</th>
                    <th scope="col">Status</th>
                    <th scope="col">Keys</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.vendors.length === 0 && (
                    <tr>
                      <td colSpan={5} class="muted">
                        No vendors enrolled yet.
                      </td>
                    </tr>
                  )}
                  {data.vendors.map((v) => (
                    <tr key={v.origin}>
                      <td>
                        <strong>{v.displayName}</strong>
                        <div class="muted small">{v.origin}</div>
                        <div class="small">{v.categories.map(words).join(', ')}</div>
                      </td>
                      <td>
                        <VerifiedBadge verified={v.verified} level={v.verificationLevel} />
                        {v.registry && <div class="small">registry: {v.registry}</div>}
                        {v.cardForm && <div class="small">card: {v.cardForm}</div>}
                        {v.drift !== undefined && v.drift !== null && v.drift !== false && (
                          <div class="warn small">card changed since enrolment</div>
                        )}
                      </td>
                      <td>{v.status}</td>
                      <td>
                        {v.keyThumbprints.map((k) => (
                          <div key={k}>
                            <Hash value={k} />
                          </div>
                        ))}
                      </td>
                      <td class="actions">
                        <button
                          type="button"
                          class="secondary"
                          onClick={() => setSelected(v.origin)}
                          aria-label={`Ownership of ${v.displayName}`}
                        >
                          Ownership
                        </button>
                        {v.status !== 'revoked' && (
                          <button
                            type="button"
                            class="danger"
                            onClick={() => revoke(v)}
                            aria-label={`Revoke ${v.displayName}`}
                          >
                            Revoke…
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Loaded>
        {error !== null && <ErrorNote error={error} />}
      </section>
      {selected && <VendorProvenance origin={selected} />}
      <AgentProvenance />
      <UnsettledOrders onSettled={() => setSpendingVersion((n) => n + 1)} />
      <Spending key={spendingVersion} />
      <Enrol onDone={reload} />
    </>
  );
}

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api.ts';
import { diffLines, parseUnified, withContext, type DiffLine } from '../lib/diff.ts';
import { formatTime, words } from '../lib/format.ts';
import { readFields, setBudgetLimit, setConflictEffect, setSharingEffect } from '../lib/policy-forms.ts';
import { ErrorNote, Loaded, Unavailable, useApi } from '../components.tsx';

interface Issue {
  line: number;
  column: number;
  path: string;
  message: string;
  hint?: string;
}
type Validation = { ok: true } | { ok: false; issues: Issue[] };
interface TestReport {
  passed: number;
  failed: number;
  results: { name: string; ok: boolean; expected: unknown; actual: unknown; failures?: string[] }[];
  uncovered: string[];
}
interface DryRun {
  compared: number;
  changed: { at: string; summary: string; before: unknown; after: unknown; reasons: unknown[]; direction?: string }[];
}
interface Active {
  version: string;
  yaml: string;
  appliedAt: string;
  message: string;
}

function DiffView(props: { lines: readonly DiffLine[]; label: string }) {
  const shown = withContext(props.lines);
  if (!props.lines.some((l) => l.op !== ' ')) return <p class="muted">No differences.</p>;
  return (
    <pre class="diff" aria-label={props.label} tabIndex={0}>
      {shown.map((l, i) =>
        l === null ? (
          <span key={i} class="diff-skip">
            {'  …\n'}
          </span>
        ) : (
          <span key={i} class={l.op === '+' ? 'diff-add' : l.op === '-' ? 'diff-del' : ''}>
            <span class="sr-only">{l.op === '+' ? 'added: ' : l.op === '-' ? 'removed: ' : ''}</span>
            {`${l.op} ${l.text}\n`}
          </span>
        ),
      )}
    </pre>
  );
}

/** A YAML textarea with line numbers and the validator's issues shown at their lines. */
function YamlEditor(props: { value: string; onChange: (v: string) => void; issues: Issue[] }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = props.value.split('\n').length;
  const byLine = new Map<number, Issue[]>();
  for (const i of props.issues) byLine.set(i.line, [...(byLine.get(i.line) ?? []), i]);
  const goTo = (issue: Issue): void => {
    const el = area.current;
    if (!el) return;
    const starts = props.value.split('\n');
    let offset = 0;
    for (let l = 1; l < issue.line && l <= starts.length; l++) offset += starts[l - 1]!.length + 1;
    offset += Math.max(0, issue.column - 1);
    el.focus();
    el.setSelectionRange(offset, offset);
  };
  return (
    <div>
      <div class={`editor${props.issues.length > 0 ? ' editor-invalid' : ''}`}>
        <div class="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => (
            <div key={i} class={byLine.has(i + 1) ? 'gutter-error' : ''} title={byLine.get(i + 1)?.map((x) => x.message).join('\n')}>
              {byLine.has(i + 1) ? '⚠ ' : ''}
              {i + 1}
            </div>
          ))}
        </div>
        <textarea
          ref={area}
          id="policy-yaml"
          aria-label="Policy (YAML)"
          aria-invalid={props.issues.length > 0}
          aria-describedby="policy-issues"
          spellcheck={false}
          wrap="off"
          value={props.value}
          onInput={(e) => props.onChange(e.currentTarget.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
          onKeyDown={(e) => {
            // Tab inserts two spaces (YAML has no tabs); Escape then Tab leaves the editor
            if (e.key === 'Tab' && !e.shiftKey && !(e.currentTarget.dataset.escaped === '1')) {
              e.preventDefault();
              const el = e.currentTarget;
              const s = el.selectionStart;
              const v = el.value.slice(0, s) + '  ' + el.value.slice(el.selectionEnd);
              props.onChange(v);
              requestAnimationFrame(() => el.setSelectionRange(s + 2, s + 2));
            }
            e.currentTarget.dataset.escaped = e.key === 'Escape' ? '1' : '0';
          }}
        />
      </div>
      <p class="muted small">Tab indents by two spaces; press Escape, then Tab, to leave the editor.</p>
      <div id="policy-issues" aria-live="polite">
        {props.issues.length > 0 && (
          <ul class="issues" role="alert" aria-label="Problems in the policy">
            {props.issues.map((i, k) => (
              <li key={k}>
                <button type="button" class="link" onClick={() => goTo(i)}>
                  Line {i.line}, column {i.column}
                </button>
                : {i.message}
                {i.path && <span class="muted"> ({i.path})</span>}
                {i.hint && <div class="hint">{i.hint}</div>}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function QuickSettings(props: { yaml: string; onChange: (v: string) => void }) {
  const fields = useMemo(() => readFields(props.yaml), [props.yaml]);
  const [error, setError] = useState<string | null>(null);
  if (!fields) return <p class="muted">The quick settings come back once the YAML parses.</p>;
  const apply = (f: () => string): void => {
    try {
      props.onChange(f());
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const effects = ['allow', 'ask', 'deny'];
  return (
    <div class="quick">
      {error && <p class="error">{error}</p>}
      <fieldset>
        <legend>Budgets</legend>
        {fields.budgets.map((b) => (
          <div class="field" key={b.index}>
            <label for={`budget-${b.index}`}>
              {b.id} (per {b.per}){b.reason ? `: ${b.reason}` : ''}
            </label>
            <input id={`budget-${b.index}`} value={b.limit} onChange={(e) => apply(() => setBudgetLimit(props.yaml, b.index, e.currentTarget.value))} />
          </div>
        ))}
      </fieldset>
      <fieldset>
        <legend>Data sharing</legend>
        {fields.sharing.map((s) => (
          <div class="field" key={s.index}>
            <label for={`share-${s.index}`}>
              {s.id}: {s.data.map(words).join(', ')}
            </label>
            <select id={`share-${s.index}`} value={s.effect} onChange={(e) => apply(() => setSharingEffect(props.yaml, s.index, e.currentTarget.value))}>
              {effects.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          </div>
        ))}
      </fieldset>
      <fieldset>
        <legend>Conflicts of interest</legend>
        {fields.conflicts.map((c) => (
          <div class="field" key={c.kind}>
            <label for={`conflict-${c.kind}`}>{words(c.kind)}</label>
            <select id={`conflict-${c.kind}`} value={c.effect} onChange={(e) => apply(() => setConflictEffect(props.yaml, c.kind, e.currentTarget.value))}>
              {effects.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          </div>
        ))}
      </fieldset>
    </div>
  );
}

function History(props: { activeVersion: string; onRolledBack: () => void; refresh: number }) {
  const [load, reload] = useApi<{ versions: { version: string; appliedAt: string; message: string; active: boolean }[] }>('/api/policies/history');
  const [diff, setDiff] = useState<{ version: string; lines: DiffLine[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(reload, [props.refresh, reload]);
  const showDiff = async (version: string): Promise<void> => {
    try {
      const r = await api<{ diff: string }>('GET', `/api/policies/diff?from=${encodeURIComponent(version)}&to=${encodeURIComponent(props.activeVersion)}`);
      setDiff({ version, lines: parseUnified(r.diff) });
    } catch (e) {
      setError(e);
    }
  };
  const rollback = async (version: string): Promise<void> => {
    if (!confirm(`Roll back to policy version ${version}? This applies it as a new version; nothing is deleted.`)) return;
    try {
      await api('POST', '/api/policies/rollback', { version, message: `rolled back to ${version} from the web app` });
      setDiff(null);
      reload();
      props.onRolledBack();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="hist-h">
      <h2 id="hist-h">History</h2>
      <Loaded load={load} what="Policy history">
        {(data) => (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Applied</th>
                  <th scope="col">Message</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.versions.map((v) => (
                  <tr key={v.version}>
                    <td>
                      {v.version} {v.active && <span class="badge badge-ok">active</span>}
                    </td>
                    <td>{formatTime(v.appliedAt)}</td>
                    <td>{v.message}</td>
                    <td class="actions">
                      {!v.active && (
                        <>
                          <button type="button" class="secondary" onClick={() => void showDiff(v.version)} aria-label={`Diff version ${v.version} with the active one`}>
                            Diff
                          </button>
                          <button type="button" class="secondary" onClick={() => void rollback(v.version)} aria-label={`Roll back to version ${v.version}`}>
                            Roll back
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
      {diff && (
        <>
          <h3>
            Version {diff.version} → active ({props.activeVersion})
          </h3>
          <DiffView lines={diff.lines} label={`Diff from ${diff.version} to the active version`} />
        </>
      )}
      {error !== null && <ErrorNote error={error} />}
    </section>
  );
}

/** The policy editor: YAML with inline validation, quick settings, tests, dry-run, apply, history. */
export function PoliciesPage() {
  const [refresh, setRefresh] = useState(0);
  const [active, setActive] = useState<Active | 'unavailable' | null>(null);
  const [yaml, setYaml] = useState('');
  const [validation, setValidation] = useState<Validation | 'unavailable' | null>(null);
  const [tests, setTests] = useState<TestReport | null>(null);
  const [dry, setDry] = useState<{ yaml: string; report: DryRun } | null>(null);
  const [message, setMessage] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<Active>('GET', '/api/policies/active').then(
      (a) => {
        setActive(a);
        setYaml(a.yaml);
      },
      (e: unknown) => (e instanceof ApiError && e.notAvailable ? setActive('unavailable') : setError(e)),
    );
  }, [refresh]);
  useEffect(() => {
    if (!yaml) return;
    const timer = setTimeout(() => {
      api<Validation>('POST', '/api/policies/validate', { yaml }).then(setValidation, (e: unknown) =>
        e instanceof ApiError && e.notAvailable ? setValidation('unavailable') : setError(e),
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [yaml]);
  if (active === 'unavailable') {
    return (
      <>
        <h1>Policies</h1>
        <Unavailable what="The policy editor (/api/policies)" />
      </>
    );
  }
  if (active === null) {
    return (
      <>
        <h1>Policies</h1>
        {error !== null ? <ErrorNote error={error} /> : <p class="muted">Loading the active policy…</p>}
      </>
    );
  }
  const issues = validation && validation !== 'unavailable' && !validation.ok ? validation.issues : [];
  const valid = validation !== null && validation !== 'unavailable' && validation.ok;
  const changed = yaml !== active.yaml;
  const dryCurrent = dry !== null && dry.yaml === yaml;
  const run = async <T,>(f: () => Promise<T>): Promise<T | undefined> => {
    setError(null);
    setNote(null);
    try {
      return await f();
    } catch (e) {
      setError(e);
      return undefined;
    }
  };
  return (
    <>
      <h1>Policies</h1>
      <p class="muted">
        Active version <strong>{active.version}</strong>, applied {formatTime(active.appliedAt)}: {active.message}
      </p>
      <div class="policy-layout">
        <section aria-labelledby="edit-h">
          <h2 id="edit-h">Edit</h2>
          <YamlEditor value={yaml} onChange={setYaml} issues={issues} />
          <p role="status" class={valid ? 'ok' : issues.length > 0 ? 'warn' : 'muted'} data-testid="validation">
            {validation === 'unavailable' ? 'Validation is not available in this build.' : validation === null ? 'Checking…' : valid ? 'The policy is valid.' : `${issues.length} problem${issues.length === 1 ? '' : 's'}: nothing can be applied until they are fixed.`}
          </p>
        </section>
        <section aria-labelledby="quick-h">
          <h2 id="quick-h">Quick settings</h2>
          <QuickSettings yaml={yaml} onChange={setYaml} />
        </section>
      </div>
      <section aria-labelledby="check-h">
        <h2 id="check-h">Check before applying</h2>
        <div class="actions">
          <button type="button" class="secondary" disabled={!valid} onClick={() => void run(async () => setTests(await api<TestReport>('POST', '/api/policies/test', { yaml })))}>
            Run the policy's tests
          </button>
          <button type="button" class="secondary" disabled={!valid} onClick={() => void run(async () => setDry({ yaml, report: await api<DryRun>('POST', '/api/policies/dry-run', { yaml }) }))}>
            Dry run against recent decisions
          </button>
          <button type="button" class="secondary" disabled={!changed} onClick={() => setYaml(active.yaml)}>
            Discard changes
          </button>
        </div>
        {tests && (
          <div class="card">
            <h3>
              Tests: {tests.passed} passed, {tests.failed} failed
            </h3>
            {tests.results.some((r) => !r.ok) && (
              <ul class="tests" aria-label="Failed tests">
                {tests.results
                  .filter((r) => !r.ok)
                  .map((r, i) => (
                    <li key={i} class="fail">
                      ✗ {r.name}
                      <span class="muted">
                        {' '}
                        — {r.failures && r.failures.length > 0 ? r.failures.join('; ') : `expected ${JSON.stringify(r.expected)}, got ${JSON.stringify(r.actual)}`}
                      </span>
                    </li>
                  ))}
              </ul>
            )}
            <details>
              <summary>{tests.passed} passed tests</summary>
              <ul class="tests">
                {tests.results
                  .filter((r) => r.ok)
                  .map((r, i) => (
                    <li key={i} class="ok">
                      ✓ {r.name}
                    </li>
                  ))}
              </ul>
            </details>
            {tests.uncovered.length > 0 && <p class="muted">Rules no test covers: {tests.uncovered.join(', ')}</p>}
          </div>
        )}
        {dry && (
          <div class="card" aria-labelledby="dry-h">
            <h3 id="dry-h">Dry run{dryCurrent ? '' : ' (of an earlier draft: run it again)'}</h3>
            <p>
              {dry.report.changed.length} of {dry.report.compared} recent decisions would change.
            </p>
            {dry.report.changed.length > 0 && (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">What</th>
                      <th scope="col">Before</th>
                      <th scope="col">After</th>
                      <th scope="col">Why</th>
                    </tr>
                  </thead>
                  <tbody>
                    {dry.report.changed.map((c, i) => (
                      <tr key={i}>
                        <td>{formatTime(c.at)}</td>
                        <td>{c.summary}</td>
                        <td>{typeof c.before === 'string' ? c.before : JSON.stringify(c.before)}</td>
                        <td>
                          {typeof c.after === 'string' ? c.after : JSON.stringify(c.after)}
                          {c.direction && <span class={c.direction === 'looser' ? 'warn small' : 'muted small'}> ({c.direction.replace(/-/g, ' ')})</span>}
                        </td>
                        <td>{c.reasons.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('; ')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <h4>Your changes</h4>
            <DiffView lines={diffLines(active.yaml, dry.yaml)} label="Changes to the policy text" />
          </div>
        )}
        <form
          class="apply"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              const r = await api<{ version: string }>('POST', '/api/policies/apply', { yaml, message: message.trim() });
              setNote(`Applied as version ${r.version}.`);
              setMessage('');
              setDry(null);
              setTests(null);
              setRefresh((n) => n + 1);
            });
          }}
        >
          <label for="apply-message">What changed and why (kept in the history)</label>
          <input id="apply-message" value={message} onInput={(e) => setMessage(e.currentTarget.value)} required />
          <button type="submit" class="primary" disabled={!valid || !changed || !dryCurrent || message.trim() === ''}>
            Apply
          </button>
          {!dryCurrent && changed && valid && <p class="muted small">Run the dry run on this draft first: you see what would change before it applies.</p>}
        </form>
        {note && (
          <p role="status" class="ok">
            {note}
          </p>
        )}
        {error !== null && <ErrorNote error={error} />}
      </section>
      <History activeVersion={active.version} refresh={refresh} onRolledBack={() => setRefresh((n) => n + 1)} />
    </>
  );
}

import { useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { formatTime, words } from '../lib/format.ts';
import { DATA_CLASSES } from '../lib/types.ts';
import { ErrorNote, Hash, Loaded, useApi } from '../components.tsx';

interface ProfileValue {
  id: string;
  dataClass: string;
  label: string;
  masked: string;
}
interface WhoKnows {
  vendors: { vendor: string; fields: { dataClass: string; at: string; taskId?: string; decision: string; policyVersion?: string }[] }[];
}

function Profile() {
  const [load, reload] = useApi<{ values: ProfileValue[] }>('/api/profile');
  const [form, setForm] = useState({ dataClass: 'email', label: '', value: '' });
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const save = (e: Event): void => {
    e.preventDefault();
    setError(null);
    api('PUT', '/api/profile', form).then(() => {
      setNote(`Saved ${form.label || words(form.dataClass)}.`);
      setForm({ ...form, label: '', value: '' });
      reload();
    }, setError);
  };
  const remove = (v: ProfileValue): void => {
    if (!confirm(`Remove ${v.label} (${words(v.dataClass)}) from your profile?`)) return;
    api('DELETE', `/api/profile/${encodeURIComponent(v.id)}`).then(() => {
      setNote(`Removed ${v.label}.`);
      reload();
    }, setError);
  };
  return (
    <section aria-labelledby="profile-h">
      <h2 id="profile-h">Your profile</h2>
      <p class="muted">Values are encrypted at rest and shown masked; they leave only field by field, as your policy allows.</p>
      <Loaded load={load} what="Your profile">
        {(data) => (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">What</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Value (masked)</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.values.length === 0 && (
                  <tr>
                    <td colSpan={4} class="muted">
                      Nothing stored yet.
                    </td>
                  </tr>
                )}
                {data.values.map((v) => (
                  <tr key={v.id}>
                    <td>{v.label}</td>
                    <td>{words(v.dataClass)}</td>
                    <td>
                      <code>{v.masked}</code>
                    </td>
                    <td class="actions">
                      <button type="button" class="secondary" onClick={() => setForm({ dataClass: v.dataClass, label: v.label, value: '' })} aria-label={`Replace ${v.label}`}>
                        Replace…
                      </button>
                      <button type="button" class="danger" onClick={() => remove(v)} aria-label={`Remove ${v.label}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
      <form class="inline-form" onSubmit={save}>
        <div class="field">
          <label for="p-class">Kind</label>
          <select id="p-class" value={form.dataClass} onChange={(e) => setForm({ ...form, dataClass: e.currentTarget.value })}>
            {DATA_CLASSES.map((c) => (
              <option key={c} value={c}>
                {words(c)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="p-label">Label</label>
          <input id="p-label" required maxLength={100} value={form.label} onInput={(e) => setForm({ ...form, label: e.currentTarget.value })} />
        </div>
        <div class="field">
          <label for="p-value">Value</label>
          <input id="p-value" type="password" autoComplete="off" required value={form.value} onInput={(e) => setForm({ ...form, value: e.currentTarget.value })} />
        </div>
        <button type="submit" class="primary">
          Save
        </button>
      </form>
      {note && <p role="status" class="ok">{note}</p>}
      {error !== null && <ErrorNote error={error} />}
    </section>
  );
}

function WhoKnowsWhat() {
  const [load] = useApi<WhoKnows>('/api/profile/who-knows');
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const erase = (vendor: string): void => {
    if (!confirm(`Ask ${vendor} to erase what it was given about you? The request is recorded in the audit log.`)) return;
    api('POST', '/api/profile/erasure', { vendor }).then(() => setNote(`Erasure request to ${vendor} recorded.`), setError);
  };
  return (
    <section aria-labelledby="who-h">
      <h2 id="who-h">Who knows what about you</h2>
      <Loaded load={load} what="The disclosure record">
        {(data) =>
          data.vendors.length === 0 ? (
            <p class="muted">No vendor has been given any of your data.</p>
          ) : (
            <div class="stack">
              {data.vendors.map((v) => (
                <article key={v.vendor} class="card" aria-label={`Shared with ${v.vendor}`}>
                  <header>
                    <h3>{v.vendor}</h3>
                    <button type="button" class="secondary" onClick={() => erase(v.vendor)} aria-label={`Ask ${v.vendor} to erase your data`}>
                      Ask to erase…
                    </button>
                  </header>
                  <div class="table-wrap">
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Data</th>
                          <th scope="col">When</th>
                          <th scope="col">Task</th>
                          <th scope="col">Decision</th>
                          <th scope="col">Policy</th>
                        </tr>
                      </thead>
                      <tbody>
                        {v.fields.map((f, i) => (
                          <tr key={i}>
                            <td>{words(f.dataClass)}</td>
                            <td>{formatTime(f.at)}</td>
                            <td>{f.taskId ? <a href={`#/audit?taskId=${encodeURIComponent(f.taskId)}`}>{f.taskId}</a> : '—'}</td>
                            <td>{f.decision}</td>
                            <td>
                              <Hash value={f.policyVersion} />
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </article>
              ))}
            </div>
          )
        }
      </Loaded>
      {note && <p role="status" class="ok">{note}</p>}
      {error !== null && <ErrorNote error={error} />}
    </section>
  );
}

/** The person's own data and the record of what went to whom. */
export function DataPage() {
  return (
    <>
      <h1>My data</h1>
      <Profile />
      <WhoKnowsWhat />
    </>
  );
}

import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';

/** A budget as the form shows it. */
export interface BudgetField {
  index: number;
  id: string;
  limit: string;
  per: string;
  reason: string;
}

/** A data-sharing rule as the form shows it. */
export interface SharingField {
  index: number;
  id: string;
  data: string[];
  effect: string;
}

/** What the quick-settings forms edit, read from the YAML. */
export interface PolicyFields {
  budgets: BudgetField[];
  sharing: SharingField[];
  conflicts: { kind: string; effect: string }[];
}

function text(v: unknown): string {
  return isScalar(v) ? String(v.value) : typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/** Parses the YAML for the forms; undefined when it does not parse (the editor shows why). */
export function readFields(yaml: string): PolicyFields | undefined {
  const doc = parseDocument(yaml);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  const fields: PolicyFields = { budgets: [], sharing: [], conflicts: [] };
  const budgets = doc.get('budgets');
  if (isSeq(budgets)) {
    budgets.items.forEach((item, index) => {
      if (!isMap(item)) return;
      fields.budgets.push({ index, id: text(item.get('id', true)), limit: text(item.get('limit', true)), per: text(item.get('per', true)), reason: text(item.get('reason', true)) });
    });
  }
  const sharing = doc.get('dataSharing');
  if (isSeq(sharing)) {
    sharing.items.forEach((item, index) => {
      if (!isMap(item)) return;
      const data = item.get('data', true);
      const list = isSeq(data) ? data.items.map(text) : [text(data)];
      fields.sharing.push({ index, id: text(item.get('id', true)), data: list, effect: text(item.get('effect', true)) });
    });
  }
  const conflicts = doc.get('conflicts');
  if (isMap(conflicts)) {
    for (const pair of conflicts.items) {
      const kind = text(pair.key);
      const v = pair.value;
      const effect = isMap(v) ? text(v.get('effect', true)) : text(v);
      fields.conflicts.push({ kind, effect });
    }
  }
  return fields;
}

function edit(yaml: string, change: (doc: Document) => void): string {
  const doc = parseDocument(yaml);
  if (doc.errors.length > 0) throw new Error('fix the YAML errors first');
  change(doc);
  return doc.toString();
}

/** Sets a budget's limit (e.g. `600.00 USD`), keeping comments and the rest of the file. */
export function setBudgetLimit(yaml: string, index: number, limit: string): string {
  return edit(yaml, (doc) => doc.setIn(['budgets', index, 'limit'], limit));
}

/** Sets a data-sharing rule's effect. */
export function setSharingEffect(yaml: string, index: number, effect: string): string {
  return edit(yaml, (doc) => doc.setIn(['dataSharing', index, 'effect'], effect));
}

/** Sets how a conflict kind is handled (keeps extra options of a map form). */
export function setConflictEffect(yaml: string, kind: string, effect: string): string {
  return edit(yaml, (doc) => {
    const current = doc.getIn(['conflicts', kind]);
    if (isMap(current)) doc.setIn(['conflicts', kind, 'effect'], effect);
    else doc.setIn(['conflicts', kind], effect);
  });
}

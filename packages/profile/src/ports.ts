import type { AuditEvent, Category, DataClass, Decision, Purpose } from '@steward/protocol';

/** The vendor a disclosure is for: its verified origin, category and whether its identity was verified. */
export interface VendorRef {
  origin: string;
  category?: Category;
  verified: boolean;
}

/** What the profile asks the policy for one field. The policy package exports a function of this shape. */
export interface ShareDataRequest {
  dataClass: DataClass;
  purpose: Purpose;
  vendor: VendorRef;
  taskId?: string;
  action: 'share_data';
}

/**
 * The decision port. Its answer is read as: `deny` refuses the field; `ask` needs the person's
 * approval; `allow` releases it. A class in `obligations.relay` leaves only in pseudonymous form
 * (`email` as the vendor's relay address; any other class, having none, not at all); a class in
 * `obligations.redact` is withheld. A thrown error or a malformed Decision refuses the field (fail
 * closed). The policy package's `decide` has this meaning.
 */
export type DecidePort = (req: ShareDataRequest) => Decision | Promise<Decision>;

/**
 * The audit sink port. The profile never passes plaintext personal values as `personalPayload`;
 * events carry keyed field hashes only. A throw makes the operation fail and roll back.
 */
export type AuditSink = (event: AuditEvent, personalPayload?: unknown) => void;

/** The signer port: returns a compact JWS with header `typ` over `payload`, signed with the person's key. */
export type SignerPort = (typ: string, payload: object) => Promise<string>;

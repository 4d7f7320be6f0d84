import { StewardError, type StewardErrorOptions } from '@steward/protocol';

/** Codes raised by the provenance package, with the HTTP status each maps to. */
export const PROVENANCE_ERROR_STATUS = {
  ERR_PROVENANCE_ENTITY_UNKNOWN: 404,
  ERR_PROVENANCE_ENTITY_INVALID: 400,
  ERR_PROVENANCE_EDGE_INVALID: 400,
  ERR_PROVENANCE_IMPORT_INVALID: 400,
  ERR_PROVENANCE_IMPORT_FORMAT_UNKNOWN: 400,
  ERR_PROVENANCE_LICENCE_REFUSED: 400,
  ERR_PROVENANCE_MANIFEST_INVALID: 400,
  ERR_PROVENANCE_MANIFEST_UNSIGNED: 401,
  ERR_PROVENANCE_MANIFEST_SIGNATURE_INVALID: 401,
  ERR_PROVENANCE_INPUT_INVALID: 400,
} as const satisfies Record<string, number>;

/** A code raised by the provenance package. */
export type ProvenanceErrorCode = keyof typeof PROVENANCE_ERROR_STATUS;

/** Something in the affiliation graph, an import, the agent manifest or detector input was wrong. */
export class ProvenanceError extends StewardError<ProvenanceErrorCode> {
  constructor(code: ProvenanceErrorCode, message: string, options: StewardErrorOptions = {}) {
    super(code, message, PROVENANCE_ERROR_STATUS[code], options);
  }
}

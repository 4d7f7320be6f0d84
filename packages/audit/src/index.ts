export { AuditError, AUDIT_ERROR_STATUS } from './errors.ts';
export type { AuditErrorCode } from './errors.ts';
export { hashLeaf, hashChildren, EMPTY_ROOT, HASH_SIZE } from './merkle/hash.ts';
export {
  rootAt,
  rangeHash,
  inclusionProof,
  consistencyProof,
  memoryNodeSource,
  rootOfLeaves,
  largestPowerOfTwoBelow,
} from './merkle/tree.ts';
export type { NodeSource } from './merkle/tree.ts';
export { Frontier } from './merkle/frontier.ts';
export type { CompletedNode } from './merkle/frontier.ts';
export { verifyInclusion, verifyConsistency, rootFromInclusionProof } from './merkle/verify.ts';
export {
  noteKeyId,
  formatVerifierKey,
  parseVerifierKey,
  toVerifier,
  parsePublicKeyInput,
  rawEd25519,
  ed25519FromRaw,
} from './note/keys.ts';
export type { NoteSigner, NoteVerifier } from './note/keys.ts';
export { signNote, cosignNote, openNote, parseNote } from './note/signed-note.ts';
export type { NoteSignature, ParsedNote } from './note/signed-note.ts';
export { formatCheckpoint, parseCheckpoint, signCheckpoint, verifyCheckpoint } from './note/checkpoint.ts';
export type { Checkpoint } from './note/checkpoint.ts';
export {
  canonicalEvent,
  eventLeafHash,
  payloadCommitment,
  isCommitmentType,
  SALT_BYTES,
} from './log/event.ts';
export { MIGRATIONS } from './log/migrations.ts';
export { AuditLog, openAuditLog } from './log/audit-log.ts';
export type {
  OpenAuditLogOptions,
  AppendReceipt,
  AppendOptions,
  LogEntry,
  CheckpointRecord,
  InclusionProof,
  EventProof,
  AuditQuery,
  QueryPage,
} from './log/audit-log.ts';
export { verifyLog } from './log/verify-log.ts';
export type { VerifyReport, VerifyProblem, VerifyProblemKind, VerifyLogOptions } from './log/verify-log.ts';
export { Witness, FileWitnessStorage, MemoryWitnessStorage } from './witness/witness.ts';
export type { WitnessStorage, WitnessState, WitnessInput, WitnessResult } from './witness/witness.ts';
export { exportLog, verifyExport, ExportVerifier, EXPORT_FORMAT } from './export/export.ts';
export type { ExportHeader, ExportOptions, ExportReport, ExportClaim } from './export/export.ts';

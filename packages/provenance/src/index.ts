export { PROVENANCE_ERROR_STATUS, ProvenanceError } from './errors.ts';
export type { ProvenanceErrorCode } from './errors.ts';
export { MIGRATIONS } from './migrations.ts';
export {
  EntityId,
  EntityRecord,
  EdgeRecord,
  PaidPlacementRecord,
  OWNERSHIP_RELATIONS,
  AFFILIATION_RELATIONS,
  DEFAULT_CONFIDENCE,
} from './graph/types.ts';
export type { GraphFacts, GraphEdge } from './graph/types.ts';
export { AffiliationGraph, buildGraph } from './graph/snapshot.ts';
export { walkOwners, edgeValidOn } from './graph/walk.ts';
export { describeEntity, toEvidence, ensureSeed } from './graph/describe.ts';
export type { EntityReport } from './graph/describe.ts';
export type { WalkOptions, OwnershipReach } from './graph/walk.ts';
export { saveFacts, loadGraph, readFacts, addLocalEdge } from './graph/store.ts';
export type { SaveOptions, SaveResult, LocalEdgeInput } from './graph/store.ts';
export { FactsFile, factsFromFile, loadSeedFacts, SEED_PATH, SEED_LICENCES } from './import/facts-file.ts';
export { importFile, importValue, detectImportFormat } from './import/import-file.ts';
export type { ImportFormat, ImportOptions, ImportResult } from './import/import-file.ts';
export { factsFromGleif, GleifFile } from './import/gleif.ts';
export type { ImportedFacts } from './import/gleif.ts';
export { factsFromWikidata, WikidataFile, wikidataDate } from './import/wikidata.ts';
export { storeLookup, EMPTY_LOOKUP } from './import/lookup.ts';
export type { IdLookup } from './import/lookup.ts';
export {
  parseManifest,
  loadManifest,
  signManifest,
  verifyManifest,
  checkManifestSignature,
  manifestSigningInput,
} from './manifest/manifest.ts';
export type { ManifestSignatureStatus } from './manifest/manifest.ts';
export { renderDisclosure } from './manifest/disclosure.ts';
export type { DisclosureOptions } from './manifest/disclosure.ts';
export { registrableDomain, domainLabel } from './resolve/domain.ts';
export { skeleton, nameKey, mixedScripts } from './resolve/confusable.ts';
export { resolveEntityRef, resolveVendor } from './resolve/entity.ts';
export type { EntityMatch, MatchBasis } from './resolve/entity.ts';
export type {
  VendorDescriptor,
  CredentialFacts,
  OfferView,
  PickRecord,
  DetectionInput,
  DetectionOptions,
} from './detect/types.ts';
export { DetectionContext } from './detect/context.ts';
export type { AgentParty, VendorView, Affiliation } from './detect/context.ts';
export { detectConflicts } from './detect/detect-conflicts.ts';
export { detectAffiliatedCounterparty } from './detect/affiliated-counterparty.ts';
export { detectUndisclosedAffiliation } from './detect/undisclosed-affiliation.ts';
export { detectPaidPlacement } from './detect/paid-placement.ts';
export { detectSteering, dominates } from './detect/steering.ts';
export { detectSelfPreferencing, measureSelfPreferencing } from './detect/self-preferencing.ts';
export type { SelfPreferencingStats } from './detect/self-preferencing.ts';
export { detectSybil } from './detect/sybil.ts';
export { detectConfusableName, confusableIndex } from './detect/confusable-name.ts';
export { detectStaleProvenance } from './detect/stale-provenance.ts';

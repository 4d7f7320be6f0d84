import type { DeclaredAffiliation, VerificationLevel } from '@steward/protocol';

/** Orbit Retail Group: maker and operator of the demo personal agent, and QuickBasket's owner. */
export const ORBIT_RETAIL_GROUP_REF = { name: 'Orbit Retail Group Inc.', entityId: 'orbit-retail-group', domain: 'orbitretail.example' };

/** What the Open Commerce Registry verified about a vendor (independent of what its card says). */
export interface RegistryFact {
  owners: DeclaredAffiliation[];
  verificationLevel: VerificationLevel;
}

/**
 * The registry's verified ownership facts, by vendor id. QuickBasket's card discloses no owner;
 * the registry records Orbit Retail Group as its sole owner: this is how the broker learns what
 * the card omits.
 */
export const REGISTRY_FACTS: Readonly<Record<string, RegistryFact>> = {
  quickbasket: { owners: [{ entity: ORBIT_RETAIL_GROUP_REF, relation: 'owns', stake: 1 }], verificationLevel: 'verified' },
  'green-valley': { owners: [], verificationLevel: 'audited' },
  megamart: { owners: [], verificationLevel: 'verified' },
  'trattoria-sole': { owners: [], verificationLevel: 'basic' },
  skytrail: {
    owners: [{ entity: { name: 'Horizon Travel Group plc', entityId: 'horizon-travel-group', domain: 'horizontravel.example' }, relation: 'owns', stake: 1 }],
    verificationLevel: 'verified',
  },
  'bargain-hub': { owners: [], verificationLevel: 'basic' },
};

/** What the registry verified about Bargain Hub when it poses as an independent comparison service (THREATS #25). */
export const UNDISCLOSED_OWNER_FACT: RegistryFact = {
  owners: [{ entity: { name: 'MegaMart Stores Inc.', entityId: 'megamart', domain: 'megamart.example' }, relation: 'owns', stake: 1 }],
  verificationLevel: 'basic',
};

import { BARGAIN_HUB, GREEN_VALLEY, MEGAMART, QUICKBASKET } from './grocers.ts';
import { TRATTORIA_SOLE } from './restaurant.ts';
import { SKYTRAIL } from './travel.ts';
import type { VendorProfile } from './types.ts';

/** Ids of the demo vendors, in port order. */
export const VENDOR_IDS = ['quickbasket', 'green-valley', 'megamart', 'trattoria-sole', 'skytrail', 'bargain-hub'] as const;
/** A demo vendor id. */
export type VendorId = (typeof VENDOR_IDS)[number];

/** Every demo vendor's profile, by id. */
export const VENDOR_PROFILES: Readonly<Record<VendorId, VendorProfile>> = {
  quickbasket: QUICKBASKET,
  'green-valley': GREEN_VALLEY,
  megamart: MEGAMART,
  'trattoria-sole': TRATTORIA_SOLE,
  skytrail: SKYTRAIL,
  'bargain-hub': BARGAIN_HUB,
};

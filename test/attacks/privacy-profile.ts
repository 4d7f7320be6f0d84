/** The demo person's values (apps/broker/src/demo.ts DEMO_PROFILE), to search outbound messages for. */
export const DEMO_PROFILE_VALUES = {
  name: 'Ada Example',
  email: 'ada@example.org',
  phone: '+1 555 0100 123',
  address: '12 Analytical Way, Springfield, 01101',
  birth_date: '1990-12-10',
  health: 'vegetarian; peanut allergy',
} as const;

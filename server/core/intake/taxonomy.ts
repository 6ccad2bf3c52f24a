/**
 * Tip categories (DESIGN §7). Codes are stored in plaintext for routing the queue; their names and
 * one-line guidance live in the i18n catalogues under `taxonomy.<code>.name` / `.guidance`.
 */
export const CATEGORY_GROUPS = [
  {
    group: 'national_security',
    codes: ['state_secrets', 'spy_equipment', 'illegal_publications', 'strategic_minerals', 'biological_samples', 'invasive_species', 'recruitment'],
  },
  {
    group: 'public_safety',
    codes: ['firearms', 'explosives', 'controlled_implements', 'hazardous_chemicals', 'drugs', 'wildlife', 'counterfeit_currency', 'counterfeit_goods', 'tobacco'],
  },
  {
    group: 'sender_behaviour',
    codes: ['identity_refused', 'inspection_refused', 'suspicious_pattern', 'other'],
  },
] as const;

export type CategoryCode = (typeof CATEGORY_GROUPS)[number]['codes'][number];

export const CATEGORY_CODES: readonly CategoryCode[] = CATEGORY_GROUPS.flatMap((g) => [...g.codes]);

/** Categories whose parcels can kill in transit: the pages tell people to call 110 / 12339 now. */
export const IMMEDIATE_DANGER_CODES: readonly CategoryCode[] = ['firearms', 'explosives', 'hazardous_chemicals'];


import type { ReferralChannel } from '../db/schema.js';

/** The order referral destinations appear in statistics: the 12339 channels first (DESIGN §6). */
export const REFERRAL_CHANNEL_ORDER: readonly ReferralChannel[] = ['hotline_12339', 'web_12339', 'state_security_bureau', 'police_110', 'other'];

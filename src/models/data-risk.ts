import { z } from 'zod';

const ActionPermission = z.enum(['unknown', 'allowed', 'disallowed']).default('unknown');
const Presence = z.enum(['unknown', 'included', 'excluded']).default('unknown');

/** What actions a span type performs. Every field defaults to `'unknown'`. */
export const ActionProfile = z.looseObject({
  create_data: ActionPermission,
  read_data: ActionPermission,
  update_data: ActionPermission,
  destroy_data: ActionPermission,
  financial_transactions: ActionPermission,
  external_communication: ActionPermission,
});
export type ActionProfile = z.input<typeof ActionProfile>;

/** Which categories of data a span type's params or result hold. Every field defaults to `'unknown'`. */
export const DataCategories = z.looseObject({
  personal_identifiers: Presence,
  contact_information: Presence,
  financial_information: Presence,
  health_and_medical: Presence,
  criminal_justice: Presence,
  authentication_and_secrets: Presence,
  organisational_confidential: Presence,
  minors_data: Presence,
  location_and_tracking: Presence,
  behavioural_and_inferred: Presence,
  gdpr_racial_or_ethnic_origin: Presence,
  gdpr_political_opinions: Presence,
  gdpr_religious_or_philosophical_beliefs: Presence,
  gdpr_trade_union_membership: Presence,
  gdpr_genetic_data: Presence,
  gdpr_biometric_for_identification: Presence,
  gdpr_sex_life_or_sexual_orientation: Presence,
  classification: z
    .enum(['unknown', 'public', 'internal', 'confidential', 'restricted', 'secret'])
    .default('unknown'),
});
export type DataCategories = z.input<typeof DataCategories>;

/** The data-risk profile of a span type, registered with the agent's schema version. */
export const DataRisk = z.looseObject({
  action_profile: ActionProfile.prefault({}),
  params_data_categories: DataCategories.prefault({}),
  result_data_categories: DataCategories.prefault({}),
});
export type DataRisk = z.input<typeof DataRisk>;

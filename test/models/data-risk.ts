import t from 'tap';
import { ActionProfile, DataCategories, DataRisk } from '../../src/models/data-risk.js';

t.test('DataRisk fills every field with unknown', async (t) => {
  const risk = DataRisk.parse({});
  t.equal(risk.action_profile.create_data, 'unknown');
  t.equal(risk.params_data_categories.classification, 'unknown');
  t.equal(risk.result_data_categories.gdpr_genetic_data, 'unknown');
});

t.test('DataRisk keeps given values and extra fields, and rejects unknown values', async (t) => {
  const risk = DataRisk.parse({ action_profile: { read_data: 'allowed', future: 1 }, params_data_categories: { classification: 'secret' } });
  t.equal(risk.action_profile.read_data, 'allowed');
  t.equal((risk.action_profile as Record<string, unknown>).future, 1);
  t.equal(risk.params_data_categories.classification, 'secret');
  t.notOk(ActionProfile.safeParse({ read_data: 'maybe' }).success);
  t.notOk(DataCategories.safeParse({ minors_data: 'yes' }).success);
  t.notOk(DataCategories.safeParse({ classification: 'top' }).success);
});

// The provider catalogue's field specs carry a type, and the type agrees with what the
// contract's schema accepts for that field, so a form rendered from the data asks for the right thing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROVIDER_IDS, PROVIDERS, SECRET_FIELDS, secretFieldsOf, type FieldSpec } from '../../common/providers.js';
import { validateProfile } from '../../common/validation.js';

const allSpecs: Array<{ provider: (typeof PROVIDER_IDS)[number]; spec: FieldSpec }> = PROVIDER_IDS.flatMap((provider) =>
  PROVIDERS[provider].fields.map((spec) => ({ provider, spec })),
);

/** Errors for one field set to `value` on an otherwise valid profile of that provider. */
function errorsFor(provider: (typeof PROVIDER_IDS)[number], field: string, value: unknown): string[] {
  const result = validateProfile({ id: 'p', name: 'p', provider, [field]: value }, {}, { requireSecrets: false });
  return result.ok ? [] : result.errors.filter((e) => e.field === field).map((e) => e.message);
}

describe('provider catalogue field types', () => {
  it('secret fields are exactly the vault-kept ones', () => {
    for (const { provider, spec } of allSpecs) {
      assert.equal(spec.type === 'secret', (SECRET_FIELDS as readonly string[]).includes(spec.field), `${provider}.${spec.field}`);
    }
    assert.deepEqual(secretFieldsOf('camunda-operate-cookie'), ['password']);
    assert.deepEqual(secretFieldsOf('redpanda'), ['clientSecret']);
  });

  it('url fields refuse what is not a URL; number fields refuse text; others take text', () => {
    for (const { provider, spec } of allSpecs) {
      const where = `${provider}.${spec.field} (${spec.type})`;
      if (spec.type === 'url') {
        assert.ok(errorsFor(provider, spec.field, 'not a url').length > 0, where);
        assert.deepEqual(errorsFor(provider, spec.field, 'https://example.test/x'), [], where);
      } else if (spec.type === 'number') {
        assert.ok(errorsFor(provider, spec.field, 'ten').length > 0, where);
        assert.deepEqual(errorsFor(provider, spec.field, 60), [], where);
      } else if (spec.type === 'choice') {
        assert.ok(spec.choices !== undefined && spec.choices.length > 1, where);
        for (const choice of spec.choices) assert.deepEqual(errorsFor(provider, spec.field, choice), [], `${where}: ${choice}`);
        assert.ok(errorsFor(provider, spec.field, 'something-else').length > 0, where);
      } else if (spec.type === 'params') {
        assert.deepEqual(errorsFor(provider, spec.field, { resource: 'https://api.example.test' }), [], where);
      } else if (spec.type !== 'secret') {
        assert.deepEqual(errorsFor(provider, spec.field, 'plain words'), [], where);
      }
    }
  });
});

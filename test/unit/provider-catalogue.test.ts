// The provider catalogue's field specs carry a type, and the type agrees with what the
// contract's schema accepts for that field, so a form rendered from the data asks for the right thing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROVIDER_IDS, PROVIDERS, SECRET_FIELDS, secretFieldsFor, secretFieldsOf, type FieldSpec } from '../../common/providers.js';
import { validateProfile } from '../../common/validation.js';

const allSpecs: Array<{ provider: (typeof PROVIDER_IDS)[number]; spec: FieldSpec }> = PROVIDER_IDS.flatMap((provider) =>
  PROVIDERS[provider].fields.map((spec) => ({ provider, spec })),
);

/**
 * Errors for one field set to `value` on an otherwise valid profile of that provider; a field of some
 * client authentication methods only (docs/client-auth.md) is tried with the first of them.
 */
function errorsFor(provider: (typeof PROVIDER_IDS)[number], field: string, value: unknown): string[] {
  const spec = PROVIDERS[provider].fields.find((f) => f.field === field);
  const method = field === 'authMethod' || spec?.authMethods === undefined ? {} : { authMethod: spec.authMethods[0] };
  const result = validateProfile({ id: 'p', name: 'p', provider, ...method, [field]: value }, {}, { requireSecrets: false });
  return result.ok ? [] : result.errors.filter((e) => e.field === field).map((e) => e.message);
}

describe('provider catalogue field types', () => {
  it('secret fields are exactly the vault-kept ones', () => {
    for (const { provider, spec } of allSpecs) {
      assert.equal(spec.type === 'secret', (SECRET_FIELDS as readonly string[]).includes(spec.field), `${provider}.${spec.field}`);
    }
    assert.deepEqual(secretFieldsOf('camunda-operate-cookie'), ['password']);
    assert.deepEqual(secretFieldsOf('redpanda'), ['clientSecret']);
    assert.deepEqual(secretFieldsOf('oauth2'), ['clientSecret']);
    assert.deepEqual(secretFieldsFor({ provider: 'oauth2', authMethod: 'private_key_jwt' }), ['privateKey']);
    assert.deepEqual(secretFieldsFor({ provider: 'camunda-operate-identity', authMethod: 'tls_client_auth' }), ['privateKey']);
    assert.deepEqual(secretFieldsFor({ provider: 'camunda-operate-identity' }), ['clientSecret']);
  });

  it('key methods only where offered; a field of one method is refused with another, naming it', () => {
    const base = { id: 'p', name: 'p', clientId: 'c', tokenUrl: 'https://idp.test/token' };
    const refused = validateProfile({ ...base, provider: 'redpanda', authMethod: 'private_key_jwt' }, {}, { requireSecrets: false });
    assert.ok(!refused.ok && refused.errors.some((e) => e.field === 'authMethod' && /oauth2 and camunda-operate-identity/.test(e.message)));
    const stray = validateProfile({ ...base, provider: 'oauth2', keyId: 'k1' }, {}, { requireSecrets: false });
    assert.ok(!stray.ok && stray.errors.some((e) => e.field === 'keyId' && /private_key_jwt/.test(e.message)));
    const strayKey = validateProfile({ ...base, provider: 'oauth2' }, { privateKey: 'x' }, { requireSecrets: false });
    assert.ok(!strayKey.ok && strayKey.errors.some((e) => e.field === 'privateKey'));
    const noCert = validateProfile({ ...base, provider: 'oauth2', authMethod: 'tls_client_auth' }, { privateKey: 'x' }, { requireSecrets: true });
    assert.ok(!noCert.ok && noCert.errors.some((e) => e.field === 'clientCert'));
    const noKey = validateProfile({ ...base, provider: 'oauth2', authMethod: 'private_key_jwt' }, {}, { requireSecrets: true });
    assert.ok(!noKey.ok && noKey.errors.some((e) => e.field === 'privateKey') && !noKey.errors.some((e) => e.field === 'clientSecret'));
    const jwt = validateProfile({ ...base, provider: 'camunda-operate-identity', authMethod: 'private_key_jwt', keyId: 'k1', signingAlg: 'ES256' }, { privateKey: 'x' }, { requireSecrets: true });
    assert.ok(jwt.ok, JSON.stringify(jwt));
    const identityJson = validateProfile({ ...base, provider: 'camunda-operate-identity', authMethod: 'json' }, {}, { requireSecrets: false });
    assert.ok(!identityJson.ok && identityJson.errors.some((e) => e.field === 'authMethod'));
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
      } else if (spec.type === 'pem') {
        assert.ok(errorsFor(provider, spec.field, 'plain words').length > 0, where);
        assert.deepEqual(errorsFor(provider, spec.field, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'), [], where);
      } else if (spec.type === 'path') {
        assert.ok(errorsFor(provider, spec.field, 'relative/ca.pem').length > 0, where);
        assert.deepEqual(errorsFor(provider, spec.field, '/etc/ssl/private-ca.pem'), [], where);
      } else if (spec.type !== 'secret') {
        assert.deepEqual(errorsFor(provider, spec.field, 'plain words'), [], where);
      }
    }
  });
});

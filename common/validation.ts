// One validation for every way a profile arrives (CLI, dashboard form, IPC, HTTP): the schema checks
// shapes, then each provider's required fields are checked, with messages that say how to fix it.
import { profileConfigSchema, profileSecretsSchema, type ProfileConfig, type ProfileSecrets } from './contract.js';
import {
  authMethodOf,
  authMethodsOf,
  fieldApplies,
  isKeyAuthMethod,
  isProviderId,
  isSecretSpec,
  KEY_AUTH_PROVIDERS,
  PROVIDER_IDS,
  PROVIDERS,
  type FieldSpec,
} from './providers.js';

export interface FieldError {
  /** 'id', 'name', 'provider', a ProfileField or a SecretField. */
  field: string;
  message: string;
}

export interface ValidationOptions {
  /** A new profile needs its secrets; an edit may keep the stored ones. */
  requireSecrets: boolean;
}

export function validateProfile(
  profile: unknown,
  secrets: unknown,
  options: ValidationOptions,
): { ok: true; profile: ProfileConfig; secrets: ProfileSecrets } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const raw = (typeof profile === 'object' && profile !== null ? profile : {}) as Record<string, unknown>;
  if (raw.provider !== undefined && !isProviderId(raw.provider)) {
    errors.push({
      field: 'provider',
      message: `unknown provider "${String(raw.provider)}"; use one of: ${PROVIDER_IDS.join(', ')}`,
    });
  }
  const parsed = profileConfigSchema.safeParse(profile);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.length > 0 ? String(issue.path[0]) : 'profile';
      if (field === 'provider' && errors.some((e) => e.field === 'provider')) continue;
      const message = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
      errors.push({ field, message });
    }
  }
  const parsedSecrets = profileSecretsSchema.safeParse(secrets ?? {});
  if (!parsedSecrets.success) {
    for (const issue of parsedSecrets.error.issues) {
      errors.push({ field: String(issue.path[0] ?? 'secrets'), message: issue.code === 'too_small' ? 'must not be empty' : 'is not valid' });
    }
  }
  if (parsed.success && parsedSecrets.success) {
    const spec = PROVIDERS[parsed.data.provider];
    const method = authMethodOf(parsed.data);
    errors.push(...authMethodErrors(parsed.data, parsedSecrets.data));
    for (const field of spec.fields) {
      if (!field.required || !fieldApplies(field, method)) continue;
      const missing = isSecretSpec(field)
        ? options.requireSecrets && !parsedSecrets.data[field.field]
        : isBlank((parsed.data as Record<string, unknown>)[field.field]);
      if (missing) errors.push({ field: field.field, message: requiredMessage(field, spec.label) });
    }
  }
  if (errors.length > 0 || !parsed.success || !parsedSecrets.success) return { ok: false, errors };
  return { ok: true, profile: parsed.data, secrets: parsedSecrets.data };
}

/**
 * Key methods only where the provider offers them, and the fields of one method never sent with
 * another (a key id on a secret profile would be silently unused, which hides a mistake).
 */
function authMethodErrors(profile: ProfileConfig, secrets: ProfileSecrets): FieldError[] {
  const errors: FieldError[] = [];
  const spec = PROVIDERS[profile.provider];
  const offered = authMethodsOf(profile.provider);
  if (profile.authMethod !== undefined && offered.length > 0 && !offered.includes(profile.authMethod)) {
    errors.push({ field: 'authMethod', message: `${spec.label} takes one of: ${offered.join(', ')}` });
    return errors;
  }
  if (isKeyAuthMethod(profile.authMethod) && offered.length === 0) {
    errors.push({
      field: 'authMethod',
      message: `${profile.authMethod} is offered by the ${KEY_AUTH_PROVIDERS.join(' and ')} providers only`,
    });
    return errors;
  }
  const method = authMethodOf(profile);
  for (const field of spec.fields) {
    if (field.authMethods === undefined || fieldApplies(field, method)) continue;
    const value = isSecretSpec(field) ? secrets[field.field] : (profile as Record<string, unknown>)[field.field];
    if (isBlank(value)) continue;
    errors.push({ field: field.field, message: `${field.label} goes with client authentication ${field.authMethods.join(' or ')}, not ${method ?? 'the default'}` });
  }
  return errors;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function requiredMessage(field: FieldSpec, providerLabel: string): string {
  return `${field.label} is required for ${providerLabel}`;
}

export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('\n');
}

import type { z } from 'zod';

/** Whether a checkbox can be used, and why not. */
export interface Availability {
  enabled: boolean;
  /** Shown next to a disabled checkbox: what the admin must do to enable it. */
  reason?: string | undefined;
}

/** Credential fields that are checked live together and revert together when the check fails. */
export interface CredentialGroup<TSettings> {
  /** Names the group in field errors (`credentials`, `oauthClient`). */
  id: string;
  /** What the admin sees: "Zendesk user email and API token". */
  label: string;
  /** Every field of the group; all must be filled for the group to be complete. */
  fields: readonly (keyof TSettings & string)[];
  /**
   * The fields of the group that say where its secrets are sent: a host, an account subdomain, an
   * organization URL, a tenant, an authority or login URL. A saved secret is only ever sent to
   * the address it was validated against: when one of these changes, a secret kept from the
   * previous save (masked or left out) is refused and must be typed again. Empty when the
   * group's secrets always go to the same place.
   */
  addressFields: readonly (keyof TSettings & string)[];
  /** For settings with alternative modes: the group applies only when this returns true. Default: always. */
  appliesWhen?: ((settings: TSettings) => boolean) | undefined;
}

/** How a plugin's settings are validated, shown and saved. */
export interface SettingsDefinition<TSchema extends z.ZodObject> {
  /** The whole settings object; spread `commonSettingsShape` into it. Field rules live on fields. */
  schema: TSchema;
  /** Fields holding secrets: masked on forms, redacted from logs and errors. */
  secretFields: readonly (keyof z.output<TSchema> & string)[];
  credentialGroups: readonly CredentialGroup<z.output<TSchema>>[];
  /** An extra rule for the default-user checkbox ("enabled only while an admin connection is linked"). */
  defaultUserAvailability?: ((settings: z.output<TSchema>) => Availability) | undefined;
}

/** What an admin form shows in a secret field that is set; submitting it back means "unchanged". */
export const SECRET_MASK = '********';
